import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { startNginx, type NginxInstance } from '../lib/stack/nginx.ts';
import { freePort } from '../lib/stack/ports.ts';

// The local ingress: real nginx in front of two small HTTP servers that
// take the place of the routes and respond with their own x-ruta.

const Nginx = suite('nginx splitter');
const dir = mkdtempSync(join(tmpdir(), 'notas-nginx-'));
const upstreams = new Map<string, Server>();
let nginx: NginxInstance;

function startUpstream(ruta: string): Promise<Server> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(201, { 'content-type': 'application/json', 'x-ruta': ruta });
      response.end(JSON.stringify({ id: 'x', ruta }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

function post(body: string) {
  return fetch(nginx.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
}

Nginx.before(async () => {
  upstreams.set('grpc', await startUpstream('grpc'));
  upstreams.set('cache', await startUpstream('cache'));
  nginx = await startNginx({
    dir,
    port: await freePort(),
    upstreams: [
      { ruta: 'grpc', address: `127.0.0.1:${portOf(upstreams.get('grpc')!)}`, weight: 50 },
      { ruta: 'cache', address: `127.0.0.1:${portOf(upstreams.get('cache')!)}`, weight: 50 },
    ],
  });
});

Nginx.after(async () => {
  await nginx?.stop();
  for (const server of upstreams.values()) server.close();
  rmSync(dir, { recursive: true, force: true });
});

Nginx('splits by weight', async () => {
  const counts: Record<string, number> = { grpc: 0, cache: 0 };
  for (let index = 0; index < 1_000; index += 1) {
    const response = await post('{}');
    await response.text();
    counts[response.headers.get('x-ruta') ?? 'none'] += 1;
  }

  // 1,000 fair coin flips fall within 450..550 with probability above 99.8%.
  assert.ok(counts.grpc >= 450, `grpc got ${counts.grpc} of 1000`);
  assert.ok(counts.grpc <= 550, `grpc got ${counts.grpc} of 1000`);
  assert.is(counts.grpc + counts.cache, 1_000);
});

Nginx('unknown path is JSON 404', async () => {
  const response = await fetch(nginx.url.replace('/notas', '/otra'), { signal: AbortSignal.timeout(10_000) });
  assert.is(response.status, 404);
  assert.match(response.headers.get('content-type') ?? '', 'application/json');
  const body = await response.json();
  assert.is(body.error.code, 'not_found');
});

Nginx('huge body is JSON 413', async () => {
  const response = await post(`{"nombre":"${'x'.repeat(2 * 1024 * 1024)}"}`);
  assert.is(response.status, 413);
  assert.match(response.headers.get('content-type') ?? '', 'application/json');
  const body = await response.json();
  assert.is(body.error.code, 'payload_too_large');
});

Nginx('dead route is 503, not retried', async () => {
  await new Promise((resolve) => upstreams.get('cache')!.close(resolve));

  const statuses: Record<string, number> = {};
  for (let index = 0; index < 100; index += 1) {
    const response = await post('{}');
    const text = await response.text();
    const key = `${response.status} ${response.headers.get('x-ruta') ?? '-'}`;
    statuses[key] = (statuses[key] ?? 0) + 1;

    if (response.status === 503) {
      assert.is(response.headers.get('retry-after'), '1');
      assert.is(JSON.parse(text).error.code, 'route_unavailable');
    }
  }

  // POSTs meant for the dead route fail instead of moving to the live one,
  // which would hide the outage and skew the split.
  assert.ok((statuses['503 -'] ?? 0) > 20, JSON.stringify(statuses));
  assert.ok((statuses['201 grpc'] ?? 0) > 20, JSON.stringify(statuses));
  assert.is(Object.keys(statuses).length, 2, JSON.stringify(statuses));
});

Nginx.run();
