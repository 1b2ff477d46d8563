import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkHealth, createHealthClient, NOTAS_SERVICE_NAME } from '../lib/grpc.ts';
import { startProcess, type ManagedProcess } from '../lib/stack/process.ts';
import { REDIS_KEYS } from '../lib/store/names.ts';
import { counter, postNota, request, startDatabases, uniqueKey, VALID, waitFor, type Databases } from './helpers/routes.ts';

const Process = suite('routes process');
let databases: Databases;
const started: ManagedProcess<Listening>[] = [];

interface Listening {
  port: number;
  url?: string;
  target?: string;
}

Process.before(async () => {
  databases = await startDatabases('process');
});

Process.after(async () => {
  await Promise.allSettled(started.map((child) => child.stop()));
  await databases?.close();
});

/** Parses the `listening` log line that every service prints once bound. */
function listeningLine(line: string): Listening | undefined {
  if (!line.includes('"msg":"listening"')) return undefined;
  const parsed = JSON.parse(line) as Listening;
  return typeof parsed.port === 'number' ? parsed : undefined;
}

// The deno npm package ships the binary; npm links it here.
const DENO = join('node_modules', '.bin', 'deno');

async function startEntry(name: string, file: string, env: Record<string, string> = {}, runtime: 'node' | 'deno' = 'node') {
  const child = await startProcess<Listening>({
    name,
    command: runtime === 'node' ? process.execPath : DENO,
    args: runtime === 'node' ? ['--import', 'tsx', file] : ['run', '--allow-all', file],
    env: { ...process.env, ...databases.env, LOG_LEVEL: 'info', ...env },
    logFile: join(databases.dir, `${name}.log`),
    ready: (line, stream) => (stream === 'stdout' ? listeningLine(line) : undefined),
  });
  started.push(child);
  return child;
}

Process('http entries log port and stop', async () => {
  const writer = await startEntry('writer-entry', 'route-grpc/server.ts');
  const entries = [
    { name: 'route-cache', child: await startEntry('cache-entry', 'route-cache/server.ts'), ruta: 'cache' },
    { name: 'route-grpc', child: await startEntry('grpc-entry', 'route-grpc/client.ts', { GRPC_TARGET: writer.ready.target ?? '' }), ruta: 'grpc' },
  ];

  for (const { name, child, ruta } of entries) {
    assert.ok(child.ready.port > 0, `${name} port ${child.ready.port}`);
    assert.is(child.ready.url, `http://127.0.0.1:${child.ready.port}`);
    assert.match(child.tail(), '"msg":"starting"', `${name} logs its settings`);
    assert.match(child.tail(), `"PORT":0`);

    const health = await request(child.ready.url ?? '', '/healthz');
    assert.is(health.status, 200);
    assert.is(health.headers.get('x-ruta'), ruta);

    const status = await child.stop();
    assert.is(status.code, 0, `${name} exit; log:\n${child.tail()}`);
    assert.match(child.tail(), '"msg":"stopped"');
  }

  assert.is(writer.ready.target, `127.0.0.1:${writer.ready.port}`);
  const health = createHealthClient(writer.ready.target ?? '');
  try {
    assert.is(await checkHealth(health, NOTAS_SERVICE_NAME, 2_000), 'SERVING');
  } finally {
    health.close();
  }

  const status = await writer.stop();
  assert.is(status.code, 0, `writer exit; log:\n${writer.tail()}`);
});

/** Sends POST /notas with `Expect: 100-continue`, so the body goes out only after the server has read the request head. */
function postInTwoSteps(url: string, key: string, body: string, beforeBody: () => Promise<void>): Promise<{ status: number; headers: IncomingMessage['headers']; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(`${url}/notas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'idempotency-key': key, expect: '100-continue' },
    });
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error('request timed out after 10000 ms')));
    outgoing.on('error', reject);
    outgoing.on('continue', () => {
      beforeBody().then(() => outgoing.end(body), reject);
    });
    outgoing.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
    });
  });
}

Process('sigterm drains in-flight request', async () => {
  await databases.reset();
  const child = await startEntry('cache-drain', 'route-cache/server.ts');
  const url = child.ready.url ?? '';
  const key = uniqueKey('drain');

  const answer = await postInTwoSteps(url, key, JSON.stringify(VALID), async () => {
    process.kill(child.pid, 'SIGTERM');
    await waitFor(async () => child.tail(50).includes('"msg":"shutting down"'), 5_000, 'the shutting down log line');

    const refused = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => `status ${response.status}`,
      (error: Error) => (error.cause as NodeJS.ErrnoException | undefined)?.code ?? error.message,
    );
    assert.is(refused, 'ECONNREFUSED', 'a new connection was accepted during shutdown');
  });

  assert.is(answer.status, 201, answer.text);
  assert.equal(JSON.parse(answer.text), { id: key, ruta: 'cache' });
  assert.is(answer.headers.connection, 'close');

  const status = await child.exited;
  assert.is(status.code, 0, `exit; log:\n${child.tail()}`);
  assert.match(child.tail(), '"msg":"stopped"');

  assert.is(await databases.collection.countDocuments({ _id: key }), 1);
  assert.is(await counter(databases.redisClient, REDIS_KEYS.total), 1);
});

Process('entries run under deno', async () => {
  await databases.reset();
  const writer = await startEntry('writer-deno', 'route-grpc/server.ts', {}, 'deno');
  const routes = {
    grpc: await startEntry('grpc-deno', 'route-grpc/client.ts', { GRPC_TARGET: writer.ready.target ?? '' }, 'deno'),
    cache: await startEntry('cache-deno', 'route-cache/server.ts', {}, 'deno'),
  };

  for (const [ruta, child] of Object.entries(routes)) {
    const key = uniqueKey(`deno-${ruta}`);
    const answer = await postNota(child.ready.url ?? '', VALID, { key });
    assert.is(answer.status, 201, `${ruta}: ${answer.text}`);
    assert.equal(answer.body, { id: key, ruta });
    assert.is((await databases.collection.findOne({ _id: key }))?.ruta, ruta);
  }
  assert.is(await counter(databases.redisClient, REDIS_KEYS.total), 1);

  for (const child of [routes.grpc, routes.cache, writer]) {
    const status = await child.stop();
    assert.is(status.code, 0, `${child.name} exit; log:\n${child.tail()}`);
  }
});

Process.run();
