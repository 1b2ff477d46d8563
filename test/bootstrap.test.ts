import { createServer, type IncomingMessage, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { StubBin, STUB_NAMES, type StubRun } from './helpers/k8s-bootstrap-stubs.ts';

// A stand-in for the ingress on loopback that responds as route "cache" does.
type Ingress = { server: Server; url: string; requests: { headers: IncomingMessage['headers']; body: string }[]; ruta: string | null };

function startIngress(): Promise<Ingress> {
  const ingress: Ingress = { server: createServer(), url: '', requests: [], ruta: 'cache' };
  ingress.server.on('request', (request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      ingress.requests.push({ headers: request.headers, body });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (ingress.ruta !== null) headers['x-ruta'] = ingress.ruta;
      response.writeHead(201, headers).end(JSON.stringify({ id: 'bootstrap-smoke', ruta: ingress.ruta }));
    });
  });
  return new Promise((resolve) => {
    ingress.server.listen(0, '127.0.0.1', () => {
      const address = ingress.server.address() as { port: number };
      ingress.url = `http://127.0.0.1:${address.port}`;
      resolve(ingress);
    });
  });
}

/** Index of the first log line starting with prefix; fails naming the prefix when absent. */
function indexOf(run: StubRun, prefix: string): number {
  const index = run.log.findIndex((line) => line.startsWith(prefix));
  assert.ok(index !== -1, `no call starting with "${prefix}" in:\n${run.log.join('\n')}`);
  return index;
}

function assertBefore(run: StubRun, first: string, second: string): void {
  assert.ok(indexOf(run, first) < indexOf(run, second), `"${first}" must run before "${second}"`);
}

const stubs = new StubBin();
let ingress: Ingress;
let firstRun: StubRun;

const Bootstrap = suite('bootstrap');

Bootstrap.before(async () => {
  ingress = await startIngress();
  firstRun = await stubs.run(['--ingress-url', ingress.url, '--pool', join(stubs.dir, 'pool.json'), '--smoke-attempts', '1']);
});

Bootstrap.after(() => {
  ingress.server.close();
  stubs.remove();
});

Bootstrap('first run succeeds', () => {
  assert.is(firstRun.code, 0, firstRun.stderr);
  assert.match(firstRun.stdout, /Ingress: +http:\/\/127\.0\.0\.1:\d+\/notas/);
  assert.match(firstRun.stdout, /Grafana: +http:\/\/localhost:3000/);
});

Bootstrap('creates cluster from file', () => {
  assert.ok(firstRun.log.includes('ctlptl apply -f k8s/cluster.yaml'));
});

Bootstrap('gateway api before linkerd', () => {
  const gatewayApi =
    'kubectl --context kind-notas apply --server-side --force-conflicts -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.1/standard-install.yaml';
  assert.ok(firstRun.log.includes(gatewayApi), 'Gateway API v1.2.1 standard CRDs not applied');
  assertBefore(firstRun, gatewayApi, 'linkerd --context kind-notas install --crds');
});

Bootstrap('linkerd crds then control plane', () => {
  assertBefore(firstRun, 'linkerd --context kind-notas install --crds', 'linkerd --context kind-notas install --set proxy.nativeSidecar=true');
  assertBefore(firstRun, 'linkerd --context kind-notas install --set proxy.nativeSidecar=true', 'linkerd --context kind-notas check');
  assertBefore(firstRun, 'linkerd --context kind-notas check', 'linkerd --context kind-notas viz install');
});

Bootstrap('injected workloads after control plane', () => {
  // Traefik and the app are meshed: the proxy injector must already run.
  assertBefore(firstRun, 'linkerd --context kind-notas check', 'helm upgrade --install traefik');
  assertBefore(firstRun, 'linkerd --context kind-notas check', 'kubectl --context kind-notas apply -k k8s/overlays/dev');
});

Bootstrap('metrics-server before app', () => {
  const metricsServer =
    'helm upgrade --install metrics-server metrics-server/metrics-server --kube-context kind-notas --namespace kube-system --version 3.13.0 --set args={--kubelet-insecure-tls}';
  assert.ok(firstRun.log.some((line) => line.startsWith(metricsServer)), 'metrics-server not installed with --kubelet-insecure-tls');
  assertBefore(firstRun, metricsServer, 'kubectl --context kind-notas apply -k k8s/overlays/dev');
});

Bootstrap('pinned versions', () => {
  const log = firstRun.log.join('\n');
  assert.match(log, /helm upgrade --install traefik traefik\/traefik .*--version 41\.3\.0 --values k8s\/traefik\/values\.yaml/);
  assert.match(log, /--version 3\.13\.0/);
  assert.match(log, /gateway-api\/releases\/download\/v1\.2\.1\/standard-install\.yaml/);
  assert.ok(firstRun.log.includes('linkerd version --client --short'), 'linkerd CLI version not checked');
});

Bootstrap('secrets through stdin', () => {
  const manifests = firstRun.stdin
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((object) => object.kind === 'Secret');
  assert.equal(manifests.map((secret) => secret.metadata.name), ['notas-mongodb', 'notas-redis', 'grafana-admin']);

  const passwords = [manifests[0].stringData.password, manifests[1].stringData.password, manifests[2].stringData['admin-password']];
  for (const password of passwords) {
    assert.match(password, /^[0-9a-f]{48}$/);
    assert.not.ok(firstRun.log.join('\n').includes(password), 'a password appears on a command line');
    assert.not.ok(firstRun.stdout.includes(password), 'a password appears in the output');
  }
  assert.is(manifests[0].stringData.username, 'notas');
  assert.is(manifests[2].stringData['admin-user'], 'admin');
  assert.is(new Set(passwords).size, 3);
});

Bootstrap('generates pool then builds images', () => {
  const pool = join(stubs.dir, 'pool.json');
  assert.ok(firstRun.log.includes(`npx tsx scripts/generate.ts --count 10000 --seed 2024 --out ${pool}`));
  assertBefore(firstRun, 'docker build --target runtime -f route-grpc/Dockerfile -t localhost:5005/notas/route-grpc:0.1.0 .', 'docker push localhost:5005/notas/route-grpc:0.1.0');
  assertBefore(firstRun, 'docker push localhost:5005/notas/route-cache:0.1.0', 'kubectl --context kind-notas apply -k k8s/overlays/dev');
});

Bootstrap('waits for rollouts', () => {
  for (const workload of ['statefulset/mongodb', 'statefulset/redis', 'deployment/route-grpc-server', 'deployment/route-grpc', 'deployment/route-cache', 'deployment/grafana']) {
    assertBefore(firstRun, 'kubectl --context kind-notas apply -k k8s/overlays/dev', `kubectl --context kind-notas -n notas rollout status ${workload}`);
  }
});

Bootstrap('smoke request checks x-ruta', () => {
  assert.is(ingress.requests.length, 1);
  const [request] = ingress.requests;
  assert.is(request.headers['idempotency-key'], 'bootstrap-smoke');
  assert.is(request.headers['content-type'], 'application/json');
  assert.equal(Object.keys(JSON.parse(request.body)).sort(), ['carnet', 'curso', 'nombre', 'nota', 'semestre', 'year']);
  assert.match(firstRun.stdout, /201 from route cache/);
});

Bootstrap('every call uses kind context', () => {
  for (const line of firstRun.log.filter((l) => /^(kubectl|linkerd) /.test(l) && !/ version /.test(` ${l} `))) {
    assert.match(line, /^(kubectl|linkerd) --context kind-notas /, line);
  }
  for (const line of firstRun.log.filter((l) => l.startsWith('helm upgrade'))) {
    assert.match(line, / --kube-context kind-notas /, line);
  }
});

Bootstrap('second run keeps cluster', async () => {
  writeFileSync(join(stubs.dir, 'pool.json'), '[]');
  const second = await stubs.run(['--ingress-url', ingress.url, '--pool', join(stubs.dir, 'pool.json'), '--smoke-attempts', '1'], { STUB_EXISTING: '1' });

  assert.is(second.code, 0, second.stderr);
  assert.ok(second.log.includes('ctlptl get cluster kind-notas -o name'));
  assert.not.ok(second.log.some((line) => /^ctlptl (apply|create|delete)|^kind (create|delete)/.test(line)), second.log.join('\n'));
  assert.match(second.stdout, /cluster kind-notas exists; keeping it/);
});

Bootstrap('second run repairs in place', async () => {
  const second = await stubs.run(['--ingress-url', ingress.url, '--pool', join(stubs.dir, 'pool.json'), '--smoke-attempts', '1'], { STUB_EXISTING: '1' });

  // Linkerd is upgraded (keeping its trust anchor), Secrets and pool are kept.
  assert.ok(second.log.some((line) => line.startsWith('linkerd --context kind-notas upgrade --crds')));
  assert.not.ok(second.log.some((line) => / install --crds/.test(line)));
  assert.not.ok(second.stdin.includes('"kind":"Secret"'), 'an existing Secret was replaced');
  assert.not.ok(second.log.some((line) => line.startsWith('npx ')), 'an existing pool was regenerated');
  assert.ok(second.log.includes('kubectl --context kind-notas apply -k k8s/overlays/dev'));

  // Linkerd's own check for an earlier install is the ConfigMap linkerd-config.
  assert.ok(second.log.includes('kubectl --context kind-notas -n linkerd get configmap linkerd-config -o name'));

  // Rebuilt images share the tag, so the routes are restarted after the apply.
  const apply = second.log.indexOf('kubectl --context kind-notas apply -k k8s/overlays/dev');
  const restart = second.log.indexOf('kubectl --context kind-notas -n notas rollout restart deployment/route-grpc-server deployment/route-grpc deployment/route-cache');
  assert.ok(restart > apply, second.log.join('\n'));
});

Bootstrap('first run restarts nothing', async () => {
  assert.not.ok(firstRun.log.some((line) => line.includes('rollout restart')), firstRun.log.join('\n'));
});

Bootstrap('dry run runs nothing', async () => {
  const before = ingress.requests.length;
  const dry = await stubs.run(['--dry-run', '--ingress-url', ingress.url]);

  assert.is(dry.code, 0, dry.stderr);
  assert.equal(dry.log, []);
  assert.is(ingress.requests.length, before);
  assert.match(dry.stdout, /\+ ctlptl apply -f k8s\/cluster\.yaml/);
  assert.match(dry.stdout, /\+ linkerd --context kind-notas install --crds --set installGatewayAPI=false \| kubectl --context kind-notas apply -f -/);
  assert.match(dry.stdout, /\+ kubectl --context kind-notas apply -f - < Secret notas-redis \(generated values, not shown\)/);
  assert.match(dry.stdout, /\+ kubectl --context kind-notas apply -k k8s\/overlays\/dev/);
  assert.match(dry.stdout, /Ready \(dry run: these are the URLs a real run prints\)/);
});

Bootstrap('without grafana overlay', async () => {
  const dry = await stubs.run(['--dry-run', '--without-grafana']);
  assert.match(dry.stdout, /apply -k k8s\/overlays\/dev-without-grafana/);
  assert.not.match(dry.stdout, /deployment\/grafana/);
  assert.not.match(dry.stdout, /localhost:3000/);
});

Bootstrap('missing x-ruta fails', async () => {
  ingress.ruta = null;
  const failed = await stubs.run(['--ingress-url', ingress.url, '--pool', join(stubs.dir, 'pool.json'), '--smoke-attempts', '1'], { STUB_EXISTING: '1' });
  ingress.ruta = 'cache';

  assert.is(failed.code, 1);
  assert.match(failed.stderr, /smoke request failed after 1 attempt: response without x-ruta grpc or cache \(got no header\)/);
});

Bootstrap('unknown option fails', async () => {
  const failed = await stubs.run(['--dryrun']);
  assert.is(failed.code, 2);
  assert.match(failed.stderr, /bootstrap: unknown option --dryrun; see --help/);
  assert.equal(failed.log, []);
});

Bootstrap('invalid ingress url fails', async () => {
  const failed = await stubs.run(['--ingress-url', 'localhost:8080']);
  assert.is(failed.code, 2);
  assert.match(failed.stderr, /bootstrap: invalid --ingress-url "localhost:8080": expected an http:\/\/ or https:\/\/ URL/);
  assert.equal(failed.log, []);
});

Bootstrap.run();

const Prerequisites = suite('bootstrap prerequisites');

Prerequisites('dry run warns of missing helm', async () => {
  const withoutHelm = new StubBin(STUB_NAMES.filter((name) => name !== 'helm'));
  try {
    const run = await withoutHelm.run(['--dry-run']);
    assert.is(run.code, 0, run.stderr);
    assert.equal(run.log, []);
    assert.match(run.stdout, /warning: helm not found on PATH; a real run stops here\. Install: see https:\/\/helm\.sh\/docs\/intro\/install\//);
  } finally {
    withoutHelm.remove();
  }
});

Prerequisites('missing helm stops with hint', async () => {
  const withoutHelm = new StubBin(STUB_NAMES.filter((name) => name !== 'helm'));
  try {
    const run = await withoutHelm.run([]);
    assert.is(run.code, 1);
    assert.match(run.stderr, /missing prerequisites:\n  - helm not found on PATH \(need >= 3\.14\.0\); install: see https:\/\/helm\.sh\/docs\/intro\/install\//);
    // Only version and daemon checks ran: nothing was created.
    assert.ok(run.log.every((line) => /^\S+ (version|info)( |$)/.test(line)), run.log.join('\n'));
  } finally {
    withoutHelm.remove();
  }
});

Prerequisites('old kind stops with minimum', async () => {
  const stubsOld = new StubBin();
  try {
    const run = await stubsOld.run([], { STUB_KIND_VERSION: 'v0.20.0' });
    assert.is(run.code, 1);
    assert.match(run.stderr, /kind 0\.20\.0 is older than 0\.29\.0; upgrade: go install sigs\.k8s\.io\/kind@v0\.30\.0/);
    assert.ok(run.log.every((line) => /^\S+ (version|info)( |$)/.test(line)), run.log.join('\n'));
  } finally {
    stubsOld.remove();
  }
});

Prerequisites('kind too new stops', async () => {
  const stubsNew = new StubBin();
  try {
    const run = await stubsNew.run([], { STUB_KIND_VERSION: 'v0.32.0' });
    assert.is(run.code, 1);
    assert.match(run.stderr, /kind 0\.32\.0 is too new: need below 0\.31\.0; install: go install sigs\.k8s\.io\/kind@v0\.30\.0/);
  } finally {
    stubsNew.remove();
  }
});

Prerequisites('wrong linkerd edge stops', async () => {
  const stubsOld = new StubBin();
  try {
    const run = await stubsOld.run([], { STUB_LINKERD_VERSION: 'edge-24.11.8' });
    assert.is(run.code, 1);
    assert.match(run.stderr, /linkerd is "edge-24\.11\.8", need edge-25\.10\.7; install: curl .*LINKERD2_VERSION=edge-25\.10\.7 sh/);
  } finally {
    stubsOld.remove();
  }
});

Prerequisites('docker daemon down stops', async () => {
  const stubsDown = new StubBin();
  try {
    const run = await stubsDown.run([], { STUB_DOCKER_DOWN: '1' });
    assert.is(run.code, 1);
    assert.match(run.stderr, /docker daemon is not reachable \(Cannot connect to the Docker daemon at unix:\/\/\/var\/run\/docker\.sock\. Is the docker daemon running\?\); start Docker Desktop or the docker service/);
    assert.ok(run.log.includes('docker info --format {{.ServerVersion}}'));
  } finally {
    stubsDown.remove();
  }
});

Prerequisites('missing tilt only warns', async () => {
  const withoutTilt = new StubBin(STUB_NAMES.filter((name) => name !== 'tilt'));
  const server = await startIngress();
  try {
    const run = await withoutTilt.run(['--ingress-url', server.url, '--pool', join(withoutTilt.dir, 'pool.json'), '--smoke-attempts', '1']);
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stdout, /warning: tilt not found on PATH .*optional: needed for `tilt up` only/);
  } finally {
    server.server.close();
    withoutTilt.remove();
  }
});

Prerequisites.run();

const Teardown = suite('teardown');
let teardownStubs: StubBin;

Teardown.before(() => {
  teardownStubs = new StubBin();
});

Teardown.after(() => {
  teardownStubs.remove();
});

Teardown('deletes cluster and registry', async () => {
  const run = await teardownStubs.run([], {}, 'scripts/teardown.mjs');
  assert.is(run.code, 0, run.stderr);
  assert.equal(run.log, ['ctlptl delete -f k8s/cluster.yaml --ignore-not-found']);
  assert.match(run.stdout, /cluster kind-notas and registry ctlptl-registry deleted/);
});

Teardown('dry run deletes nothing', async () => {
  const run = await teardownStubs.run(['--dry-run'], {}, 'scripts/teardown.mjs');
  assert.is(run.code, 0, run.stderr);
  assert.equal(run.log, []);
  assert.match(run.stdout, /\+ ctlptl delete -f k8s\/cluster\.yaml --ignore-not-found/);
});

Teardown('missing ctlptl fails', async () => {
  const withoutCtlptl = new StubBin(STUB_NAMES.filter((name) => name !== 'ctlptl'));
  try {
    const run = await withoutCtlptl.run([], {}, 'scripts/teardown.mjs');
    assert.is(run.code, 1);
    assert.match(run.stderr, /teardown: ctlptl not found on PATH; install: go install github\.com\/tilt-dev\/ctlptl\/cmd\/ctlptl@v0\.8\.43/);
  } finally {
    withoutCtlptl.remove();
  }
});

Teardown.run();
