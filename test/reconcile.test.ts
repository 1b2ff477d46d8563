import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { verifyStorage, type Acknowledged } from '../lib/reconcile.ts';
import { REDIS_KEYS } from '../lib/store/names.ts';
import { postNota, startDatabases, startRoutes, uniqueKey, VALID, type Databases, type Routes } from './helpers/routes.ts';

// The reconciliation against real FerretDB and Redis, written through the
// real routes, with one mismatch introduced per case.

const Reconcile = suite('reconcile');
let databases: Databases;
let routes: Routes;

Reconcile.before(async () => {
  databases = await startDatabases('reconcile');
  routes = await startRoutes(databases.env);
});

Reconcile.after(async () => {
  await routes?.close();
  await databases?.close();
});

Reconcile.before.each(async () => {
  await databases.reset();
});

async function store(ruta: 'grpc' | 'cache', key: string): Promise<Acknowledged> {
  const answer = await postNota(routes.byName[ruta].url, VALID, { key });
  assert.is(answer.status, 201, answer.text);
  return { key, id: answer.body.id, ruta, status: 201 };
}

function verify(acknowledged: Acknowledged[], keyPrefix: string) {
  return verifyStorage({ mongoUrl: databases.env.MONGO_URL, mongoDb: databases.mongoDb, redisUrl: databases.env.REDIS_URL, acknowledged, keyPrefix });
}

function failed(result: Awaited<ReturnType<typeof verify>>): string[] {
  return result.checks.filter((check) => !check.ok).map((check) => check.name);
}

Reconcile('stored records are exact', async () => {
  const prefix = `${uniqueKey('exact')}:`;
  const acks = [await store('grpc', `${prefix}1`), await store('cache', `${prefix}2`)];

  const result = await verify(acks, prefix);
  assert.equal(failed(result), []);
  assert.ok(result.ok);
  assert.is(result.counts.documentsInRun, 2);
});

Reconcile('replay by other route is exact', async () => {
  const prefix = `${uniqueKey('replay')}:`;
  const first = await store('grpc', `${prefix}1`);
  const replay = await postNota(routes.cache.url, VALID, { key: first.key });
  assert.is(replay.status, 200);
  assert.is(replay.headers.get('x-ruta'), 'cache');

  const result = await verify([first, { key: first.key, id: first.id, ruta: 'cache', status: 200 }], prefix);
  assert.equal(failed(result), []);
});

Reconcile('wrong ruta is reported', async () => {
  const prefix = `${uniqueKey('ruta')}:`;
  const ack = await store('grpc', `${prefix}1`);

  const result = await verify([{ ...ack, ruta: 'cache' }], prefix);
  assert.equal(failed(result), ['stored ruta matches x-ruta']);
});

Reconcile('missing document is reported', async () => {
  const prefix = `${uniqueKey('missing')}:`;
  const acks = [await store('grpc', `${prefix}1`), await store('grpc', `${prefix}2`)];
  await databases.collection.deleteOne({ _id: acks[1].id });

  const result = await verify(acks, prefix);
  assert.equal(failed(result), ['every acknowledged id is in mongodb']);
});

Reconcile('unacknowledged document is reported', async () => {
  const prefix = `${uniqueKey('extra')}:`;
  const acks = [await store('grpc', `${prefix}1`)];
  await store('grpc', `${prefix}2`);

  const result = await verify(acks, prefix);
  assert.equal(failed(result), ['no unacknowledged documents']);
});

Reconcile('lost redis counters are reported', async () => {
  const prefix = `${uniqueKey('redis')}:`;
  const acks = [await store('cache', `${prefix}1`), await store('cache', `${prefix}2`)];
  await databases.redisClient.sRem(REDIS_KEYS.applied, acks[0].id);
  await databases.redisClient.hIncrBy(REDIS_KEYS.porCurso, VALID.curso, -1);

  const result = await verify(acks, prefix);
  assert.equal(failed(result), ['every cache id is counted in redis', 'redis total equals mongodb cache documents', 'por_curso']);
});

Reconcile.run();
