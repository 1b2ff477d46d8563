import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { ROOT, find, render } from './helpers/k8s-render.ts';

// tools/tiltfile-eval runs the Tiltfile in go.starlark.net (the interpreter
// Tilt embeds) with Tilt's builtins recorded. The setup script builds it into
// .bin/ and skips the build while the binary is up to date.
const EVALUATOR = join(ROOT, '.bin/tiltfile-eval');
execFileSync('bash', [join(ROOT, 'scripts/setup-tiltfile-eval.sh')], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });

type Call = { fn: string; args: Record<string, any> };

function evaluate(tiltfile: string): { code: number | null; calls: Call[]; stderr: string } {
  const result = spawnSync(EVALUATOR, [tiltfile], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  const calls = result.status === 0 ? (JSON.parse(result.stdout).calls as Call[]) : [];
  return { code: result.status, calls, stderr: result.stderr };
}

const { code, calls, stderr } = evaluate(join(ROOT, 'Tiltfile'));

function callsOf(fn: string): Call[] {
  return calls.filter((call) => call.fn === fn);
}

function resource(name: string): Call {
  const found = callsOf('k8s_resource').find((call) => call.args.workload === name);
  assert.ok(found, `no k8s_resource('${name}')`);
  return found!;
}

function image(ref: string): Call {
  const found = callsOf('docker_build').find((call) => call.args.ref === ref);
  assert.ok(found, `no docker_build('${ref}')`);
  return found!;
}

const Tiltfile = suite('tiltfile');

Tiltfile('evaluates', () => {
  assert.is(code, 0, stderr);
  assert.ok(calls.length > 10);
});

Tiltfile('only kind-notas context', () => {
  assert.equal(callsOf('allow_k8s_contexts').map((call) => call.args.contexts), ['kind-notas']);
});

for (const [ref, route] of [
  ['localhost:5005/notas/route-grpc', 'route-grpc'],
  ['localhost:5005/notas/route-cache', 'route-cache'],
] as const) {
  Tiltfile(`${route} image dev target`, () => {
    const build = image(ref);
    assert.is(build.args.context, '.');
    assert.is(build.args.dockerfile, `${route}/Dockerfile`);
    assert.is(build.args.target, 'dev');
    assert.ok(existsSync(join(ROOT, build.args.dockerfile)), `${build.args.dockerfile} does not exist`);
    assert.match(readFileSync(join(ROOT, build.args.dockerfile), 'utf8'), /^FROM .* AS dev$/m);
  });

  Tiltfile(`${route} live update syncs`, () => {
    const steps = image(ref).args.live_update as Call[];
    const syncs = steps.filter((step) => step.fn === 'sync').map((step) => [step.args.local_path, step.args.remote_path]);

    assert.equal(syncs.sort(), [
      ['lib', '/app/lib'],
      ['package-lock.json', '/app/package-lock.json'],
      ['package.json', '/app/package.json'],
      ['proto', '/app/proto'],
      [route, `/app/${route}`],
    ]);
    for (const [local] of syncs) assert.ok(existsSync(join(ROOT, local)), `sync source ${local} does not exist`);
  });

  Tiltfile(`${route} reinstalls on lockfile`, () => {
    const steps = image(ref).args.live_update as Call[];
    const runs = steps.filter((step) => step.fn === 'run');
    assert.equal(runs.map((step) => step.args), [{ cmd: 'npm ci --omit=dev', trigger: ['package.json', 'package-lock.json'] }]);
    // Tilt runs the steps in order: syncs first, then the install.
    assert.is(steps[steps.length - 1].fn, 'run');
  });
}

Tiltfile('images match dev overlay', () => {
  const dev = render('k8s/overlays/dev');
  for (const route of ['route-grpc', 'route-grpc-server', 'route-cache']) {
    const deployed = find(dev, 'Deployment', route).spec.template.spec.containers[0].image.replace(/:[^:/]+$/, '');
    assert.ok(callsOf('docker_build').some((call) => call.args.ref === deployed), `no docker_build for ${deployed}`);
  }
});

Tiltfile('loads dev overlay', () => {
  const yaml = callsOf('k8s_yaml');
  assert.is(yaml.length, 1);
  assert.equal(yaml[0].args.yaml, { fn: 'kustomize', args: { paths: 'k8s/overlays/dev' } });
});

Tiltfile('resources exist in overlay', () => {
  const dev = render('k8s/overlays/dev');
  for (const call of callsOf('k8s_resource')) {
    const name = call.args.workload;
    assert.ok(
      dev.some((object) => ['Deployment', 'StatefulSet'].includes(object.kind) && object.metadata.name === name),
      `k8s_resource('${name}') names no workload of k8s/overlays/dev`,
    );
  }
});

Tiltfile('routes wait for databases', () => {
  assert.equal(resource('route-grpc-server').args.resource_deps, ['mongodb']);
  assert.equal(resource('route-grpc').args.resource_deps, ['route-grpc-server']);
  assert.equal(resource('route-cache').args.resource_deps, ['mongodb', 'redis']);
});

Tiltfile('labels group resources', () => {
  assert.equal(resource('mongodb').args.labels, ['databases']);
  assert.equal(resource('redis').args.labels, ['databases']);
  for (const route of ['route-grpc', 'route-grpc-server', 'route-cache']) assert.equal(resource(route).args.labels, ['routes']);
  assert.equal(resource('grafana').args.labels, ['observability']);
});

Tiltfile('links to ingress and grafana', () => {
  const links = callsOf('k8s_resource').flatMap((call) => (call.args.links ?? []).map((link: Call) => link.args.url));
  assert.ok(links.includes('http://localhost:8080/notas'), links.join(', '));
  assert.ok(links.includes('http://localhost:3000'), links.join(', '));
});

Tiltfile('port forwards to routes', () => {
  const forwards = (name: string) => resource(name).args.port_forwards.map((pf: Call) => [pf.args.local_port, pf.args.container_port]);
  assert.equal(forwards('route-grpc'), [[18081, 8080]]);
  assert.equal(forwards('route-cache'), [[18082, 8080]]);
});

Tiltfile('manual load resource', () => {
  const [load] = callsOf('local_resource');
  assert.is(callsOf('local_resource').length, 1);
  assert.is(load.args.name, 'load');
  assert.is(load.args.cmd, 'npx tsx scripts/load.ts --url http://localhost:8080/notas --duration 30s');
  assert.is(load.args.auto_init, false);
  assert.is(load.args.trigger_mode, 1); // TRIGGER_MODE_MANUAL
  assert.equal(load.args.resource_deps, ['route-grpc', 'route-cache']);
});

Tiltfile.run();

const Evaluator = suite('tiltfile-eval');

function evaluateSource(source: string) {
  const dir = mkdtempSync(join(tmpdir(), 'notas-tiltfile-'));
  try {
    writeFileSync(join(dir, 'Tiltfile'), source);
    return evaluate(join(dir, 'Tiltfile'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

Evaluator('misspelled builtin fails', () => {
  const result = evaluateSource("docker_bulid('x', '.')\n");
  assert.is(result.code, 1);
  assert.match(result.stderr, /undefined: docker_bulid/);
});

Evaluator('misspelled keyword fails', () => {
  const result = evaluateSource("k8s_resource('x', resource_dep=['y'])\n");
  assert.is(result.code, 1);
  assert.match(result.stderr, /k8s_resource: unexpected keyword argument "resource_dep"/);
});

Evaluator('missing argument fails', () => {
  const result = evaluateSource("sync('lib')\n");
  assert.is(result.code, 1);
  assert.match(result.stderr, /sync: missing argument for remote_path/);
});

Evaluator('load is rejected', () => {
  const result = evaluateSource("load('ext://restart_process', 'docker_build_with_restart')\n");
  assert.is(result.code, 1);
  assert.match(result.stderr, /extensions are not supported by tiltfile-eval/);
});

Evaluator.run();
