import { createServer, type Server, type Socket } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../lib/config.ts';
import { REDIS_KEYS } from '../lib/store/names.ts';
import { routeCacheSpec, startRouteCache } from '../route-cache/server.ts';
import { routeGrpcSpec, startRouteGrpc } from '../route-grpc/client.ts';
import { grpcServerSpec, startGrpcServer } from '../route-grpc/server.ts';
import { counter, hashNumbers, postNota, request, startDatabases, startRoutes, testLogger, uniqueKey, VALID, waitFor, type Answer, type Databases, type Routes } from './helpers/routes.ts';

const Failures = suite('routes failures');
let databases: Databases;
let routes: Routes;

// Bounds from the test settings: REDIS_TIMEOUT_MS and MONGO_TIMEOUT_MS are
// 500 ms, GRPC_DEADLINE_MS 1500 ms. A request that takes longer is aborted.
const REDIS_DOWN_LIMIT_MS = 2_000;
const DEADLINE_MS = 1_500;
const WRITER_DOWN_LIMIT_MS = DEADLINE_MS + 1_000;
const RECOVERY_LIMIT_MS = 15_000;

Failures.before(async () => {
  databases = await startDatabases('failures');
  routes = await startRoutes(databases.env);
});

Failures.after(async () => {
  await routes?.close();
  await databases?.close();
});

function assertUnavailable(answer: Answer, ruta: string, code: string) {
  assert.is(answer.status, 503, `${ruta}: ${answer.text}`);
  assert.is(answer.headers.get('x-ruta'), ruta);
  assert.is(answer.headers.get('retry-after'), '1');
  assert.is(answer.body.error.code, code);
}

/** Posts new records until one is stored, or fails after `RECOVERY_LIMIT_MS`. */
async function waitForRecovery(url: string, what: string): Promise<void> {
  const end = Date.now() + RECOVERY_LIMIT_MS;
  let last: Answer | undefined;
  while (Date.now() < end) {
    last = await postNota(url, VALID, { key: uniqueKey('recovery') });
    if (last.status === 201) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.unreachable(`${what} did not recover within ${RECOVERY_LIMIT_MS} ms; last answer ${last?.status} ${last?.text}`);
}

Failures('redis down gives 503 then recovers', async () => {
  await databases.reset();
  const key = uniqueKey('redis-down');
  await databases.redis.stop(0);

  try {
    const answer = await postNota(routes.cache.url, VALID, { key, timeoutMs: REDIS_DOWN_LIMIT_MS });
    assertUnavailable(answer, 'cache', 'redis_unavailable');
    assert.is(answer.body.error.message, 'redis is unavailable; retry after 1 s');

    const ready = await request(routes.cache.url, '/readyz');
    assert.is(ready.status, 503);
    assert.is(ready.body.checks.mongodb, 'ok');
    assert.is(ready.body.checks.redis, 'redis is not connected');

    // Redis was known to be down before the write, so nothing was half-written.
    assert.is(await databases.collection.countDocuments({ _id: key }), 0);

    const grpcAnswer = await postNota(routes.grpc.url, VALID, { key: uniqueKey('redis-down-grpc') });
    assert.is(grpcAnswer.status, 201, 'route grpc does not need redis');
  } finally {
    await databases.redis.restart();
  }

  await waitForRecovery(routes.cache.url, 'route cache');

  const retry = await postNota(routes.cache.url, VALID, { key });
  assert.is(retry.status, 201);
  assert.equal(retry.body, { id: key, ruta: 'cache' });
  assert.is(await databases.redisClient.sIsMember(REDIS_KEYS.applied, key), 1, 'the retry did not reach redis');

  // Redis restarted empty: the recovery probe and the retried record.
  assert.is(await counter(databases.redisClient, REDIS_KEYS.total), 2);

  const metrics = await request(routes.cache.url, '/metrics');
  assert.match(metrics.text, 'notas_database_errors_total{ruta="cache",dependency="redis"');
});

Failures('redis lost mid-write applied later', async () => {
  await databases.reset();
  const key = uniqueKey('redis-lost');

  // CLIENT PAUSE blocks the route's script, so Redis dies while the request
  // waits for it. MongoDB then has the record, and Redis never ran the script.
  const pauser = databases.redisClient.duplicate();
  await pauser.connect();
  await pauser.sendCommand(['CLIENT', 'PAUSE', '10000', 'WRITE']);
  await pauser.close();

  const answering = postNota(routes.cache.url, VALID, { key, timeoutMs: REDIS_DOWN_LIMIT_MS + 1_000 });
  await waitFor(async () => (await databases.collection.countDocuments({ _id: key })) === 1, 5_000, 'the record in mongodb');
  await databases.redis.stop(0);

  const answer = await answering;
  assertUnavailable(answer, 'cache', 'redis_unavailable');

  // Redis restarts empty; route cache applies the stored record by itself.
  await databases.redis.restart();
  await waitFor(async () => (await databases.redisClient.sIsMember(REDIS_KEYS.applied, key)) === 1, RECOVERY_LIMIT_MS, 'the pending redis write');
  assert.is(await counter(databases.redisClient, REDIS_KEYS.total), 1);
  assert.equal(await hashNumbers(databases.redisClient, REDIS_KEYS.porCurso), { SO1: 1 });
});

Failures('mongodb down gives 503 on both', async () => {
  const totalBefore = await counter(databases.redisClient, REDIS_KEYS.total);
  await databases.mongo.stop(0);

  try {
    const answers = await Promise.all(
      (['grpc', 'cache'] as const).map((ruta) => postNota(routes.byName[ruta].url, VALID, { key: uniqueKey(`mongo-down-${ruta}`), timeoutMs: WRITER_DOWN_LIMIT_MS })),
    );
    assertUnavailable(answers[0], 'grpc', 'mongodb_unavailable');
    assertUnavailable(answers[1], 'cache', 'mongodb_unavailable');
    assert.equal(answers[0].body, answers[1].body, 'routes answered differently');
    assert.is(await counter(databases.redisClient, REDIS_KEYS.total), totalBefore, 'redis counted a record mongodb did not store');

    const ready = await request(routes.cache.url, '/readyz');
    assert.is(ready.status, 503);
    assert.match(ready.body.checks.mongodb, 'mongodb ping failed');
  } finally {
    await databases.mongo.restart();
  }

  await waitForRecovery(routes.cache.url, 'route cache');
  await waitForRecovery(routes.grpc.url, 'route grpc');
});

Failures('start with mongodb down', async () => {
  await databases.mongo.stop(0);
  let started: Routes | undefined;
  let restarted = false;

  try {
    started = await startRoutes(databases.env);
    const answers = await Promise.all(
      (['grpc', 'cache'] as const).map((ruta) => postNota(started!.byName[ruta].url, VALID, { timeoutMs: WRITER_DOWN_LIMIT_MS })),
    );
    assertUnavailable(answers[0], 'grpc', 'mongodb_unavailable');
    assertUnavailable(answers[1], 'cache', 'mongodb_unavailable');

    await databases.mongo.restart();
    restarted = true;
    await waitForRecovery(started.cache.url, 'route cache');
    await waitForRecovery(started.grpc.url, 'route grpc');
  } finally {
    if (!restarted) await databases.mongo.restart();
    await started?.close();
  }
});

Failures('writer down gives 503 then recovers', async () => {
  const settings = { ...databases.env, GRPC_DEADLINE_MS: String(DEADLINE_MS) };
  let writer = await startGrpcServer(loadConfig(grpcServerSpec, settings), testLogger('writer'));
  const writerPort = writer.port;
  const route = await startRouteGrpc(loadConfig(routeGrpcSpec, { ...settings, GRPC_TARGET: writer.target }), testLogger('route-grpc'));

  try {
    assert.is((await postNota(route.url, VALID)).status, 201);
    await writer.close();

    const answer = await postNota(route.url, VALID, { key: uniqueKey('writer-down'), timeoutMs: WRITER_DOWN_LIMIT_MS });
    assertUnavailable(answer, 'grpc', 'writer_unavailable');

    const ready = await request(route.url, '/readyz');
    assert.is(ready.status, 503);
    assert.match(ready.body.checks.writer, 'writer health check failed');

    writer = await startGrpcServer(loadConfig(grpcServerSpec, { ...settings, GRPC_PORT: String(writerPort) }), testLogger('writer'));
    await waitForRecovery(route.url, 'route grpc');
  } finally {
    await route.close();
    await writer.close();
  }
});

/** Starts a TCP server that accepts connections and never sends a byte, like a hung process. */
async function startSilentServer() {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('silent server has no TCP address');

  return {
    port: address.port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

Failures('silent databases give 503', async () => {
  const silent = await startSilentServer();
  const settings = { ...databases.env };
  const silentRedis = await startRouteCache(loadConfig(routeCacheSpec, { ...settings, REDIS_URL: `redis://127.0.0.1:${silent.port}` }), testLogger('route-cache'));
  const silentMongo = await startRouteCache(loadConfig(routeCacheSpec, { ...settings, MONGO_URL: `mongodb://127.0.0.1:${silent.port}/` }), testLogger('route-cache'));

  try {
    const redisAnswer = await postNota(silentRedis.url, VALID, { key: uniqueKey('silent-redis'), timeoutMs: REDIS_DOWN_LIMIT_MS });
    assertUnavailable(redisAnswer, 'cache', 'redis_unavailable');

    const mongoAnswer = await postNota(silentMongo.url, VALID, { key: uniqueKey('silent-mongo'), timeoutMs: REDIS_DOWN_LIMIT_MS });
    assertUnavailable(mongoAnswer, 'cache', 'mongodb_unavailable');
  } finally {
    await silentRedis.close();
    await silentMongo.close();
    await silent.close();
  }
});

Failures('silent writer gives 504 at deadline', async () => {
  const silent = await startSilentServer();
  const settings = { ...databases.env, GRPC_DEADLINE_MS: String(DEADLINE_MS), GRPC_TARGET: `127.0.0.1:${silent.port}` };
  const route = await startRouteGrpc(loadConfig(routeGrpcSpec, settings), testLogger('route-grpc'));

  try {
    const answer = await postNota(route.url, VALID, { key: uniqueKey('silent'), timeoutMs: WRITER_DOWN_LIMIT_MS });
    assert.is(answer.status, 504, answer.text);
    assert.is(answer.headers.get('x-ruta'), 'grpc');
    assert.is(answer.body.error.code, 'writer_timeout');
    assert.is(answer.body.error.message, `writer did not respond within ${DEADLINE_MS} ms; retry with the same Idempotency-Key`);

    const ready = await request(route.url, '/readyz');
    assert.is(ready.status, 503);
  } finally {
    await route.close();
    await silent.close();
  }
});

Failures.run();
