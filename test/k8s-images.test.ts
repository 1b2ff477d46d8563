import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { ROOT, find, render } from './helpers/k8s-render.ts';

// Stages of a Dockerfile: name and the lines that belong to it.
function stagesOf(dockerfile: string): { name: string; from: string; lines: string[] }[] {
  const stages: { name: string; from: string; lines: string[] }[] = [];
  for (const line of dockerfile.split('\n')) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ from: from[1], name: from[2] ?? '', lines: [] });
    else if (stages.length > 0 && line.trim() !== '' && !line.startsWith('#')) stages[stages.length - 1].lines.push(line.trim());
  }
  return stages;
}

const dev = render('k8s/overlays/dev');

const Images = suite('k8s images');

for (const [route, entries] of [
  ['route-grpc', ['route-grpc/client.ts', 'route-grpc/server.ts']],
  ['route-cache', ['route-cache/server.ts']],
] as const) {
  const dockerfile = readFileSync(join(ROOT, `${route}/Dockerfile`), 'utf8');
  const stages = stagesOf(dockerfile);
  const stage = (name: string) => stages.find((s) => s.name === name)!;

  Images(`${route} base pinned`, () => {
    const arg = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    assert.match(arg ?? '', /^node:\d+\.\d+\.\d+-(bookworm|trixie)-slim$/);
    for (const s of stages) assert.ok(s.from === '${NODE_IMAGE}' || stages.some((other) => other.name === s.from), `${route}: FROM ${s.from}`);
  });

  Images(`${route} runtime is default`, () => {
    assert.is(stages[stages.length - 1].name, 'runtime');
    assert.ok(stage('dev'), `${route}: no dev stage`);
  });

  Images(`${route} production deps only`, () => {
    assert.ok(stage('prod-deps').lines.some((line) => /npm ci --omit=dev$/.test(line)), `${route}: no npm ci --omit=dev`);
    // The dev stage keeps npm's cache in the 64 MiB /tmp, which the dev tools would overflow.
    assert.ok(stage('dev').lines.some((line) => /npm ci --omit=dev$/.test(line)), `${route}: dev stage installs dev dependencies`);
    assert.ok(stage('runtime').lines.includes('COPY --from=prod-deps /app/node_modules ./node_modules'));
    assert.not.ok(stage('runtime').lines.some((line) => /^RUN /.test(line)), `${route}: runtime stage runs commands`);
  });

  Images(`${route} runs as node`, () => {
    assert.ok(stage('runtime').lines.includes('USER node'));
    assert.ok(stage('dev').lines.includes('USER node'));
    assert.ok(stage('runtime').lines.includes('ENTRYPOINT ["node", "--import", "tsx"]'));
    assert.ok(stage('dev').lines.some((line) => line.startsWith('ENTRYPOINT ["node_modules/.bin/tsx", "watch"')));
  });

  Images(`${route} entry files deployed`, () => {
    const deployed = ['route-grpc', 'route-grpc-server', 'route-cache']
      .map((name) => find(dev, 'Deployment', name).spec.template.spec.containers[0])
      .filter((container) => container.image.includes(`/notas/${route}:`))
      .map((container) => container.args[0]);
    assert.equal(deployed.sort(), [...entries].sort());
    for (const entry of entries) assert.ok(existsSync(join(ROOT, entry)), `${entry} does not exist`);
    assert.ok(dockerfile.includes(`CMD ["${entries[0]}"]`), `${route}: default CMD is not ${entries[0]}`);
  });
}

Images('dockerignore keeps sources only', () => {
  const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').filter((line) => line && !line.startsWith('#'));
  assert.is(lines[0], '*');
  for (const path of ['!package.json', '!package-lock.json', '!lib/', '!proto/', '!route-grpc/', '!route-cache/']) {
    assert.ok(lines.includes(path), `.dockerignore does not include ${path}`);
  }
});

Images.run();
