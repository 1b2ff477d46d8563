import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REDIS_KEYS } from '../lib/store/names.ts';
import { counter, hashNumbers, postNota, startDatabases, startRoutes, uniqueKey, VALID, type Answer, type Databases, type Routes } from './helpers/routes.ts';

const Idempotency = suite('routes idempotency');
let databases: Databases;
let routes: Routes;

Idempotency.before(async () => {
  databases = await startDatabases('idempotency');
  routes = await startRoutes(databases.env);
});

Idempotency.after(async () => {
  await routes?.close();
  await databases?.close();
});

Idempotency.before.each(async () => {
  await databases.reset();
});

const REPEATS = 5;

async function assertOnceStored(answers: Answer[], key: string, ruta: 'grpc' | 'cache') {
  const created = answers.filter((answer) => answer.status === 201);
  const replayed = answers.filter((answer) => answer.status === 200);
  assert.is(created.length, 1, `201 answers: ${answers.map((answer) => answer.status).join(', ')}`);
  assert.is(replayed.length, REPEATS - 1);

  assert.equal(created[0].body, { id: key, ruta });
  for (const answer of replayed) assert.equal(answer.body, { id: key, ruta, duplicate: true });

  assert.is(await databases.collection.countDocuments({}), 1);
  assert.is(await databases.collection.countDocuments({ _id: key }), 1);

  const expectedTotal = ruta === 'cache' ? 1 : 0;
  const redis = databases.redisClient;
  assert.is(await counter(redis, REDIS_KEYS.total), expectedTotal, 'notas:total');
  assert.equal(await hashNumbers(redis, REDIS_KEYS.sumaPorCurso), ruta === 'cache' ? { SO1: VALID.nota } : {}, 'notas:suma_por_curso');
  assert.is(((await redis.xRange(REDIS_KEYS.recientes, '-', '+')) ?? []).length, expectedTotal, 'notas:recientes');
}

for (const ruta of ['grpc', 'cache'] as const) {
  Idempotency(`${ruta} same key sequentially`, async () => {
    const key = uniqueKey(`sequential-${ruta}`);
    const answers: Answer[] = [];
    for (let attempt = 0; attempt < REPEATS; attempt += 1) {
      answers.push(await postNota(routes.byName[ruta].url, VALID, { key }));
    }

    assert.is(answers[0].status, 201, 'first answer');
    await assertOnceStored(answers, key, ruta);
  });

  Idempotency(`${ruta} same key concurrently`, async () => {
    const key = uniqueKey(`concurrent-${ruta}`);
    const answers = await Promise.all(Array.from({ length: REPEATS }, () => postNota(routes.byName[ruta].url, VALID, { key })));
    await assertOnceStored(answers, key, ruta);
  });
}

Idempotency('key split across both routes', async () => {
  const key = uniqueKey('split');
  const answers = await Promise.all(
    Array.from({ length: REPEATS }, (_, index) => postNota(index % 2 === 0 ? routes.grpc.url : routes.cache.url, VALID, { key })),
  );

  assert.is(answers.filter((answer) => answer.status === 201).length, 1);
  for (const answer of answers) assert.is(answer.body.id, key);
  assert.is(await databases.collection.countDocuments({}), 1);

  const stored = await databases.collection.findOne({ _id: key });
  const expectedTotal = stored?.ruta === 'cache' ? 1 : 0;
  assert.is(await counter(databases.redisClient, REDIS_KEYS.total), expectedTotal, `stored by ${stored?.ruta}`);
});

Idempotency('grpc key replayed on cache', async () => {
  const key = uniqueKey('grpc-first');
  const first = await postNota(routes.grpc.url, VALID, { key });
  const replay = await postNota(routes.cache.url, VALID, { key });

  assert.is(first.status, 201);
  assert.is(replay.status, 200);
  assert.equal(replay.body, { id: key, ruta: 'cache', duplicate: true });
  assert.is(replay.headers.get('x-ruta'), 'cache');

  assert.is((await databases.collection.findOne({ _id: key }))?.ruta, 'grpc');
  assert.is(await counter(databases.redisClient, REDIS_KEYS.total), 0, 'a record of route grpc reached redis');
  assert.is(await databases.redisClient.sIsMember(REDIS_KEYS.applied, key), 0);
});

Idempotency('cache key replayed on grpc', async () => {
  const key = uniqueKey('cache-first');
  const first = await postNota(routes.cache.url, VALID, { key });
  const replay = await postNota(routes.grpc.url, VALID, { key });

  assert.is(first.status, 201);
  assert.is(replay.status, 200);
  assert.equal(replay.body, { id: key, ruta: 'grpc', duplicate: true });

  const stored = await databases.collection.findOne({ _id: key });
  assert.is(stored?.ruta, 'cache');
  assert.is(await counter(databases.redisClient, REDIS_KEYS.total), 1);
});

Idempotency('retry completes missing redis write', async () => {
  const key = uniqueKey('converge');
  const first = await postNota(routes.cache.url, VALID, { key });
  assert.is(first.status, 201);

  // Simulate a request that stored in MongoDB but failed before Redis.
  await databases.redisClient.del(Object.values(REDIS_KEYS));

  const retry = await postNota(routes.cache.url, VALID, { key });
  assert.is(retry.status, 200);
  assert.equal(retry.body, { id: key, ruta: 'cache', duplicate: true });
  assert.is(await counter(databases.redisClient, REDIS_KEYS.total), 1);

  const again = await postNota(routes.cache.url, VALID, { key });
  assert.is(again.status, 200);
  assert.is(await counter(databases.redisClient, REDIS_KEYS.total), 1, 'the retry counted twice');
});

for (const ruta of ['grpc', 'cache'] as const) {
  Idempotency(`${ruta} key reused for other record`, async () => {
    const key = uniqueKey(`reused-${ruta}`);
    const first = await postNota(routes.byName[ruta].url, VALID, { key });
    assert.is(first.status, 201);

    const other = await postNota(routes.byName[ruta].url, { ...VALID, nota: 10 }, { key });
    assert.is(other.status, 422, other.text);
    assert.is(other.headers.get('x-ruta'), ruta);
    assert.is(other.body.error.code, 'idempotency_key_reused');
    assert.is(other.body.error.field, 'Idempotency-Key');
    assert.is(other.body.error.message, `Idempotency-Key "${key}" was already used for a different record; send a new key for a new record`);

    const stored = await databases.collection.findOne({ _id: key });
    assert.is(stored?.nota, VALID.nota, 'the first record was changed');
    assert.is(await counter(databases.redisClient, REDIS_KEYS.total), ruta === 'cache' ? 1 : 0);
  });
}

Idempotency('key reused across routes', async () => {
  const key = uniqueKey('reused-across');
  assert.is((await postNota(routes.grpc.url, VALID, { key })).status, 201);

  const answers = await Promise.all([
    postNota(routes.cache.url, { ...VALID, curso: 'BD1' }, { key }),
    postNota(routes.grpc.url, { ...VALID, curso: 'BD1' }, { key }),
  ]);
  assert.is(answers[0].status, 422);
  assert.is(answers[1].status, 422);
  assert.equal(answers[0].body, answers[1].body, 'routes answered differently');
});

Idempotency.run();
