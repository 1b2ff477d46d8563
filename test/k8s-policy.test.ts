import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse, parseAllDocuments } from 'yaml';

import { ROOT, find, idOf, ofKind, podSpecs, render, type K8sObject } from './helpers/k8s-render.ts';

const base = render('k8s/base');
const dev = render('k8s/overlays/dev');

const ROUTES = ['route-grpc', 'route-grpc-server', 'route-cache'];
const HTTP_ROUTES = ['route-grpc', 'route-cache'];

function containersOf(spec: any): any[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

// Pod labels match a selector when every selector pair is among them.
function selects(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

// -- Autoscaling -----------------------------------------------------------

const Hpa = suite('k8s hpa');

Hpa('one per route deployment', () => {
  const hpas = ofKind(dev, 'HorizontalPodAutoscaler');
  assert.equal(hpas.map((hpa) => hpa.spec.scaleTargetRef.name).sort(), [...ROUTES].sort());
  assert.is(hpas.length, 3);
});

for (const route of ROUTES) {
  Hpa(`${route} min 1 max 3`, () => {
    const hpa = find(dev, 'HorizontalPodAutoscaler', route);
    assert.is(hpa.spec.minReplicas, 1);
    assert.is(hpa.spec.maxReplicas, 3);
    assert.equal(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: route });
  });

  Hpa(`${route} 50% cpu of app container`, () => {
    const hpa = find(dev, 'HorizontalPodAutoscaler', route);
    const deployment = find(dev, 'Deployment', route);
    const containerNames = deployment.spec.template.spec.containers.map((c: any) => c.name);

    assert.is(hpa.spec.metrics.length, 1);
    const [metric] = hpa.spec.metrics;
    assert.is(metric.type, 'ContainerResource');
    assert.is(metric.containerResource.name, 'cpu');
    assert.equal(metric.containerResource.target, { type: 'Utilization', averageUtilization: 50 });
    assert.ok(containerNames.includes(metric.containerResource.container), `container ${metric.containerResource.container} is not in Deployment/${route}`);
  });

  Hpa(`${route} scale-down behaviour`, () => {
    const scaleDown = find(dev, 'HorizontalPodAutoscaler', route).spec.behavior?.scaleDown;
    assert.ok(scaleDown, 'behavior.scaleDown missing');
    assert.ok(scaleDown.stabilizationWindowSeconds >= 60, `stabilizationWindowSeconds is ${scaleDown.stabilizationWindowSeconds}`);
    assert.ok(scaleDown.policies.length > 0, 'no scale-down policies');
  });
}

Hpa.run();

// -- Traffic: apex Service, HTTPRoute, Ingress ------------------------------

const Traffic = suite('k8s traffic');

Traffic('httproute file is one document', () => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'k8s/base/httproute.yaml'), 'utf8'));
  assert.is(docs.length, 1);
  const route = docs[0].toJS();
  assert.is(route.apiVersion, 'gateway.networking.k8s.io/v1');
  assert.is(route.kind, 'HTTPRoute');
});

Traffic('httproute parent is notas port', () => {
  const route = find(dev, 'HTTPRoute', 'notas');
  const apex = find(dev, 'Service', 'notas');

  assert.is(route.spec.parentRefs.length, 1);
  const [parent] = route.spec.parentRefs;
  assert.equal({ group: parent.group, kind: parent.kind, name: parent.name }, { group: '', kind: 'Service', name: 'notas' });
  assert.ok(apex.spec.ports.some((port: any) => port.port === parent.port), `Service notas has no port ${parent.port}`);
});

Traffic('httproute splits 50/50', () => {
  const route = find(dev, 'HTTPRoute', 'notas');
  assert.is(route.spec.rules.length, 1);

  const backends = route.spec.rules[0].backendRefs;
  assert.equal(
    backends.map((b: any) => [b.name, b.weight]),
    [['route-grpc', 50], ['route-cache', 50]],
  );
  for (const backend of backends) {
    const service = find(dev, 'Service', backend.name);
    assert.ok(service.spec.ports.some((port: any) => port.port === backend.port), `Service ${backend.name} has no port ${backend.port}`);
  }
});

Traffic('apex selects both http routes', () => {
  const apex = find(dev, 'Service', 'notas');
  assert.is(apex.spec.type, 'ClusterIP');
  assert.equal(apex.spec.ports, [{ name: 'http', port: 80, targetPort: 'http', appProtocol: 'http' }]);

  const selected = podSpecs(dev)
    .map((pod) => ({ pod, labels: find(dev, pod.id.split('/')[0], pod.id.split('/')[1]).spec.template.metadata.labels }))
    .filter(({ labels }) => selects(apex.spec.selector, labels))
    .map(({ pod }) => pod.id)
    .sort();
  assert.equal(selected, ['Deployment/route-cache', 'Deployment/route-grpc']);
});

Traffic('apex has native lb annotation', () => {
  const apex = find(dev, 'Service', 'notas');
  assert.is(apex.metadata.annotations?.['traefik.ingress.kubernetes.io/service.nativelb'], 'true');
});

Traffic('ingress /notas to notas', () => {
  const ingress = find(dev, 'Ingress', 'notas');
  assert.is(ingress.spec.ingressClassName, 'traefik');
  assert.is(ingress.metadata.annotations?.['traefik.ingress.kubernetes.io/router.entrypoints'], 'web');

  const paths = ingress.spec.rules.flatMap((rule: any) => rule.http.paths);
  assert.equal(paths, [{ path: '/notas', pathType: 'Prefix', backend: { service: { name: 'notas', port: { name: 'http' } } } }]);
});

Traffic('service target ports resolve', () => {
  for (const service of ofKind(dev, 'Service')) {
    const pods = ofKind(dev, 'Deployment')
      .concat(ofKind(dev, 'StatefulSet'))
      .filter((workload) => selects(service.spec.selector, workload.spec.template.metadata.labels));
    assert.ok(pods.length > 0, `Service/${service.metadata.name} selects no workload`);

    for (const port of service.spec.ports) {
      assert.type(port.name, 'string', `Service/${service.metadata.name} has an unnamed port`);
      const named = pods.every((pod) =>
        pod.spec.template.spec.containers.some((c: any) => (c.ports ?? []).some((p: any) => p.name === port.targetPort)),
      );
      assert.ok(named, `Service/${service.metadata.name} targetPort ${port.targetPort} is not a named container port`);
    }
  }
});

Traffic.run();

// -- Traefik values and cluster ports --------------------------------------

const Traefik = suite('k8s traefik values');

const traefikValues = parse(readFileSync(join(ROOT, 'k8s/traefik/values.yaml'), 'utf8'));
const cluster = parseAllDocuments(readFileSync(join(ROOT, 'k8s/cluster.yaml'), 'utf8')).map((doc) => doc.toJS());

Traefik('values match chart schema', async () => {
  const { default: Ajv2020 } = await import('ajv/dist/2020.js');
  const ajv = new (Ajv2020 as any)({ strict: false, allErrors: true });
  const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'k8s/traefik/values.schema.json'), 'utf8')));

  assert.ok(validate(traefikValues), JSON.stringify(validate.errors));

  const typo = structuredClone(traefikValues);
  typo.providers.kubernetesIngress.nativeLBByDefualt = true;
  assert.not.ok(validate(typo), 'schema accepted a misspelled key');
});

Traefik('native lb and mesh on', () => {
  assert.is(traefikValues.providers.kubernetesIngress.nativeLBByDefault, true);
  assert.is(traefikValues.deployment.podAnnotations['linkerd.io/inject'], 'enabled');
  assert.ok(traefikValues.deployment.podAnnotations['config.linkerd.io/proxy-cpu-request']);
});

Traefik('node ports match kind mappings', () => {
  const kind = cluster.find((doc) => doc.kind === 'Cluster');
  const mappings = kind.kindV1Alpha4Cluster.nodes[0].extraPortMappings;
  const hostPortOf = (nodePort: number) => mappings.find((m: any) => m.containerPort === nodePort);

  assert.is(traefikValues.service.spec.type, 'NodePort');
  assert.equal(hostPortOf(traefikValues.ports.web.nodePort), { containerPort: 30080, hostPort: 8080, listenAddress: '127.0.0.1', protocol: 'TCP' });
  assert.equal(hostPortOf(traefikValues.ports.grafana.nodePort), { containerPort: 30300, hostPort: 3000, listenAddress: '127.0.0.1', protocol: 'TCP' });
  assert.is(traefikValues.ports.grafana.expose.default, true);
});

Traefik('grafana ingress uses grafana entrypoint', () => {
  const ingress = find(dev, 'Ingress', 'grafana');
  assert.is(ingress.metadata.annotations?.['traefik.ingress.kubernetes.io/router.entrypoints'], 'grafana');
  assert.ok(traefikValues.ports.grafana, 'Traefik has no "grafana" entrypoint');
  const backend = ingress.spec.rules[0].http.paths[0].backend.service;
  const service = find(dev, 'Service', backend.name);
  assert.ok(service.spec.ports.some((p: any) => p.name === backend.port.name), `Service/grafana has no port ${backend.port.name}`);
});

Traefik('cluster pins kubernetes and registry', () => {
  const kind = cluster.find((doc) => doc.kind === 'Cluster');
  const registry = cluster.find((doc) => doc.kind === 'Registry');

  assert.is(kind.product, 'kind');
  assert.is(kind.registry, registry.name);
  const [major, minor] = kind.kubernetesVersion.replace(/^v/, '').split('.').map(Number);
  assert.is(major, 1);
  assert.ok(minor >= 30, `kubernetesVersion ${kind.kubernetesVersion} is older than 1.30`);
  assert.is(registry.listenAddress, '127.0.0.1');
  assert.is(registry.port, 5005);
});

Traefik.run();

// -- Containers and pods ---------------------------------------------------

const Pods = suite('k8s pods');

for (const [name, objects] of [['base', base], ['dev', dev]] as const) {
  Pods(`${name} containers have resources`, () => {
    for (const pod of podSpecs(objects)) {
      for (const container of containersOf(pod.spec)) {
        const where = `${pod.id} container ${container.name}`;
        for (const kind of ['requests', 'limits']) {
          assert.ok(container.resources?.[kind]?.cpu, `${where}: no cpu ${kind}`);
          assert.ok(container.resources?.[kind]?.memory, `${where}: no memory ${kind}`);
        }
      }
    }
  });

  Pods(`${name} containers have probes`, () => {
    for (const pod of podSpecs(objects)) {
      for (const container of pod.spec.containers) {
        assert.ok(container.livenessProbe, `${pod.id} container ${container.name}: no livenessProbe`);
        assert.ok(container.readinessProbe, `${pod.id} container ${container.name}: no readinessProbe`);
      }
    }
  });

  Pods(`${name} containers are hardened`, () => {
    for (const pod of podSpecs(objects)) {
      for (const container of containersOf(pod.spec)) {
        const where = `${pod.id} container ${container.name}`;
        const context = container.securityContext ?? {};
        const nonRoot = context.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot;
        assert.is(nonRoot, true, `${where}: runAsNonRoot is not true`);
        assert.is(context.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation is not false`);
        assert.equal(context.capabilities?.drop, ['ALL'], `${where}: capabilities do not drop ALL`);

        // Tilt's live_update writes into the route containers in development only.
        const writableInDev = name === 'dev' && ROUTES.includes(container.name);
        assert.is(context.readOnlyRootFilesystem, !writableInDev, `${where}: readOnlyRootFilesystem is ${context.readOnlyRootFilesystem}`);
      }
    }
  });
}

// An HPA owns the replica count of the routes; a replicas field would reset
// it on every apply. Grafana has no HPA and pins one replica on purpose.
Pods('autoscaled deployments omit replicas', () => {
  for (const objects of [base, dev]) {
    const autoscaled = ofKind(objects, 'HorizontalPodAutoscaler').map((hpa) => hpa.spec.scaleTargetRef.name);
    assert.equal([...autoscaled].sort(), [...ROUTES].sort());
    for (const name of autoscaled) {
      assert.is(find(objects, 'Deployment', name).spec.replicas, undefined, `Deployment/${name} sets replicas`);
    }
  }
});

Pods('other deployments are grafana', () => {
  const others = ofKind(dev, 'Deployment').filter((d) => !ROUTES.includes(d.metadata.name));
  assert.equal(others.map(idOf), ['Deployment/grafana']);
});

for (const route of HTTP_ROUTES) {
  Pods(`${route} http probes and drain`, () => {
    const container = find(dev, 'Deployment', route).spec.template.spec.containers[0];
    assert.equal(container.livenessProbe.httpGet, { path: '/healthz', port: 'http' });
    assert.equal(container.readinessProbe.httpGet, { path: '/readyz', port: 'http' });
    assert.equal(container.ports, [{ name: 'http', containerPort: 8080 }]);
    assert.ok(container.lifecycle?.preStop?.sleep?.seconds > 0, 'no preStop sleep');
  });
}

Pods('grpc server uses grpc probes', () => {
  const container = find(dev, 'Deployment', 'route-grpc-server').spec.template.spec.containers[0];
  assert.equal(container.livenessProbe.grpc, { port: 50051 });
  assert.equal(container.readinessProbe.grpc, { port: 50051 });
  assert.equal(container.ports, [{ name: 'grpc', containerPort: 50051 }]);
  assert.ok(container.lifecycle?.preStop?.sleep?.seconds > 0, 'no preStop sleep');
});

Pods('env references defined first', () => {
  for (const pod of podSpecs(dev)) {
    for (const container of containersOf(pod.spec)) {
      const defined = new Set<string>();
      for (const variable of container.env ?? []) {
        for (const [, reference] of String(variable.value ?? '').matchAll(/\$\(([A-Z_][A-Z0-9_]*)\)/g)) {
          assert.ok(defined.has(reference), `${pod.id} ${container.name}: ${variable.name} uses $(${reference}) before it is defined`);
        }
        defined.add(variable.name);
      }
      for (const arg of container.args ?? []) {
        for (const [, reference] of String(arg).matchAll(/\$\(([A-Z_][A-Z0-9_]*)\)/g)) {
          assert.ok(defined.has(reference), `${pod.id} ${container.name}: args use undefined $(${reference})`);
        }
      }
    }
  }
});

Pods('route env contract', () => {
  const envOf = (name: string) =>
    Object.fromEntries(find(dev, 'Deployment', name).spec.template.spec.containers[0].env.map((v: any) => [v.name, v.value ?? v.valueFrom]));

  const grpc = envOf('route-grpc');
  assert.is(grpc.GRPC_TARGET, 'route-grpc-server:50051');
  assert.is(grpc.HOST, '0.0.0.0');
  assert.is(grpc.PORT, '8080');

  const server = envOf('route-grpc-server');
  assert.is(server.GRPC_PORT, '50051');
  assert.is(server.MONGO_URL, 'mongodb://$(MONGO_USERNAME):$(MONGO_PASSWORD)@mongodb:27017/?authSource=admin');
  assert.equal(server.MONGO_PASSWORD, { secretKeyRef: { name: 'notas-mongodb', key: 'password' } });

  const cache = envOf('route-cache');
  assert.is(cache.REDIS_URL, 'redis://default:$(REDIS_PASSWORD)@redis:6379');
  assert.equal(cache.REDIS_PASSWORD, { secretKeyRef: { name: 'notas-redis', key: 'password' } });
  assert.equal(cache.MONGO_USERNAME, { secretKeyRef: { name: 'notas-mongodb', key: 'username' } });
  assert.is(cache.MONGO_DB, 'notas');
});

Pods('databases are statefulsets with volumes', () => {
  for (const [name, port, image] of [['mongodb', 27017, /^mongo:\d+\.\d+\.\d+/], ['redis', 6379, /^redis:\d+\.\d+\.\d+/]] as const) {
    const set = find(dev, 'StatefulSet', name);
    assert.is(set.spec.serviceName, name);
    assert.ok(set.spec.volumeClaimTemplates.length > 0, `StatefulSet/${name} has no volumeClaimTemplates`);
    assert.match(set.spec.template.spec.containers[0].image, image);
    assert.equal(find(dev, 'Service', name).spec.ports.map((p: any) => p.port), [port]);
  }
});

Pods.run();

// -- Linkerd, images, labels -----------------------------------------------

const Mesh = suite('k8s mesh and images');

Mesh('namespace is injected', () => {
  const namespace = find(dev, 'Namespace', 'notas');
  assert.is(namespace.metadata.annotations?.['linkerd.io/inject'], 'enabled');
  for (const object of dev.filter((o) => o.kind !== 'Namespace')) {
    // Grafana's permission to query Prometheus belongs to linkerd-viz's namespace.
    const expected = object.kind === 'AuthorizationPolicy' ? 'linkerd-viz' : 'notas';
    assert.is(object.metadata.namespace, expected, `${idOf(object)} is not in namespace ${expected}`);
  }
});

Mesh('workloads inject with proxy resources', () => {
  for (const name of [...ROUTES, 'mongodb', 'redis']) {
    const workload = dev.find((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.name === name)!;
    const annotations = workload.spec.template.metadata.annotations ?? {};
    assert.is(annotations['linkerd.io/inject'], 'enabled', `${idOf(workload)}: no linkerd.io/inject`);
    for (const key of ['proxy-cpu-request', 'proxy-memory-request', 'proxy-cpu-limit', 'proxy-memory-limit']) {
      assert.ok(annotations[`config.linkerd.io/${key}`], `${idOf(workload)}: no config.linkerd.io/${key}`);
    }
  }
});

const PINNED_IMAGE = /^[a-z0-9.\-/:]+:(?!latest$)[\w][\w.-]{0,127}(@sha256:[a-f0-9]{64})?$|@sha256:[a-f0-9]{64}$/;

Mesh('images pinned by tag', () => {
  for (const objects of [base, dev]) {
    for (const pod of podSpecs(objects)) {
      for (const container of containersOf(pod.spec)) {
        const tag = container.image.split('/').pop().split(':')[1];
        assert.ok(tag !== undefined, `${pod.id}: image ${container.image} has no tag`);
        assert.is.not(tag, 'latest', `${pod.id}: image ${container.image} uses latest`);
        assert.match(container.image, PINNED_IMAGE);
      }
    }
  }
});

Mesh('dev images from ctlptl registry', () => {
  const bootstrap = readFileSync(join(ROOT, 'scripts/bootstrap.mjs'), 'utf8');
  const tag = /const IMAGE_TAG = '([^']+)'/.exec(bootstrap)?.[1];
  assert.ok(tag, 'IMAGE_TAG not found in scripts/bootstrap.mjs');

  for (const route of ROUTES) {
    const image = find(dev, 'Deployment', route).spec.template.spec.containers[0].image;
    const expected = route === 'route-cache' ? 'route-cache' : 'route-grpc';
    assert.is(image, `localhost:5005/notas/${expected}:${tag}`);
  }
});

Mesh('standard labels on objects', () => {
  for (const object of dev) {
    assert.is(object.metadata.labels?.['app.kubernetes.io/part-of'], 'notas', `${idOf(object)}: no part-of label`);
  }
  for (const object of dev.filter((o) => ['Deployment', 'StatefulSet', 'Service'].includes(o.kind))) {
    assert.ok(object.metadata.labels?.['app.kubernetes.io/name'], `${idOf(object)}: no app.kubernetes.io/name label`);
  }
});

Mesh.run();

// -- Secrets ---------------------------------------------------------------

const Secrets = suite('k8s secrets');

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return yamlFilesUnder(path);
    return /\.ya?ml$/.test(entry) ? [path] : [];
  });
}

Secrets('no secret rendered', () => {
  for (const objects of [base, dev]) {
    const secrets = ofKind(objects, 'Secret');
    assert.equal(secrets.map(idOf), [], 'a kustomization renders a Secret; the bootstrap creates them');
  }
});

Secrets('no secret committed under k8s', () => {
  for (const file of yamlFilesUnder(join(ROOT, 'k8s'))) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const object = doc.toJS() ?? {};
      const where = relative(ROOT, file);
      assert.is.not(object.kind, 'Secret', `${where} contains a Secret`);
      assert.is(object.secretGenerator, undefined, `${where} has a secretGenerator`);
    }
  }
});

Secrets('scan catches a committed secret', () => {
  const docs = parseAllDocuments('kind: Secret\napiVersion: v1\ndata:\n  password: aHVudGVyMg==\n');
  assert.is(docs[0].toJS().kind, 'Secret');
});

Secrets.run();

export type { K8sObject };
