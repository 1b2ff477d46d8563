import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { KUSTOMIZATIONS, find, idOf, render, type K8sObject } from './helpers/k8s-render.ts';
import { findUnknownFields, validateWithModel } from './helpers/k8s-schema.ts';

const rendered = new Map<string, K8sObject[]>();
for (const dir of KUSTOMIZATIONS) rendered.set(dir, render(dir));
const dev = rendered.get('k8s/overlays/dev')!;

const Schema = suite('k8s schema');

for (const dir of KUSTOMIZATIONS) {
  Schema(`${dir} renders objects`, () => {
    assert.ok(rendered.get(dir)!.length > 10, `${dir} rendered only ${rendered.get(dir)!.length} objects`);
  });

  Schema(`${dir} passes model validation`, () => {
    const withoutModel = rendered.get(dir)!.filter((object) => !validateWithModel(object)).map(idOf);
    // Only Linkerd's AuthorizationPolicy lacks a model package; it still gets the unknown-field pass.
    assert.ok(withoutModel.every((id) => id.startsWith('AuthorizationPolicy/')), withoutModel.join(', '));
  });

  Schema(`${dir} has no unknown fields`, () => {
    assert.equal(findUnknownFields(rendered.get(dir)!), []);
  });
}

Schema('unknown container field rejected', () => {
  const objects = structuredClone(dev);
  find(objects, 'Deployment', 'route-grpc').spec.template.spec.containers[0].resources.requets = { cpu: '1' };

  const problems = findUnknownFields(objects);
  assert.is(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /^Deployment\/route-grpc: .*'"requets"' does not exist in type 'IResourceRequirements'/);
});

Schema('unknown top-level field rejected', () => {
  const objects = structuredClone(dev);
  find(objects, 'Service', 'notas').spec.selectr = {};

  const problems = findUnknownFields(objects);
  assert.is(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /^Service\/notas: .*'"selectr"' does not exist/);
});

Schema('unknown HTTPRoute field rejected', () => {
  const objects = structuredClone(dev);
  find(objects, 'HTTPRoute', 'notas').spec.rules[0].backendRefs[0].wieght = 50;

  const problems = findUnknownFields(objects);
  assert.is(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /^HTTPRoute\/notas: .*'"wieght"' does not exist/);
});

Schema('unknown HPA field rejected', () => {
  const objects = structuredClone(dev);
  find(objects, 'HorizontalPodAutoscaler', 'route-cache').spec.behavior.scaleDown.stabilisationWindowSeconds = 60;

  const problems = findUnknownFields(objects);
  assert.is(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /^HorizontalPodAutoscaler\/route-cache: .*'"stabilisationWindowSeconds"' does not exist/);
});

Schema('unknown linkerd policy field rejected', () => {
  const objects = structuredClone(dev);
  find(objects, 'AuthorizationPolicy', 'grafana-prometheus-admin').spec.requiredAuthRefs = [];

  const problems = findUnknownFields(objects);
  assert.is(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /^AuthorizationPolicy\/grafana-prometheus-admin: .*'"requiredAuthRefs"' does not exist/);
});

Schema('wrong value type rejected', () => {
  const hpa = structuredClone(find(dev, 'HorizontalPodAutoscaler', 'route-grpc'));
  hpa.spec.maxReplicas = '3';

  assert.throws(() => validateWithModel(hpa), /HorizontalPodAutoscaler\/route-grpc: .*maxReplicas.* must be integer/);
});

Schema('kind without schema rejected', () => {
  const object: K8sObject = { apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', metadata: { name: 'x' } };

  assert.throws(() => validateWithModel(object), /IngressRoute\/x: no schema for traefik.io\/v1alpha1 IngressRoute/);
});

Schema('without-grafana drops only grafana objects', () => {
  const withGrafana = dev.map(idOf).sort();
  const without = rendered.get('k8s/overlays/dev-without-grafana')!.map(idOf).sort();
  const removed = withGrafana.filter((id) => !without.includes(id));

  assert.ok(removed.length >= 3, `removed only ${removed.join(', ')}`);
  for (const id of removed) assert.match(id, /\/grafana(-|$)/, `${id} was removed but is not a Grafana object`);
  for (const id of without) assert.not.match(id, /\/grafana(-|$)/, `${id} is still there`);
  assert.ok(without.every((id) => withGrafana.includes(id)), 'the component added objects');
});

Schema('dev includes grafana', () => {
  assert.ok(find(dev, 'Deployment', 'grafana'));
  assert.ok(find(dev, 'Ingress', 'grafana'));
  for (const name of ['grafana-datasources', 'grafana-dashboard-provider', 'grafana-dashboards']) {
    assert.ok(
      dev.some((object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith(`${name}-`)),
      `ConfigMap ${name} missing`,
    );
  }
});

Schema.run();
