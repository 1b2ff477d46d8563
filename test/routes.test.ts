import { connect } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { INDEXES } from '../lib/store/mongo.ts';
import { RECIENTES_FIELDS, REDIS_KEYS } from '../lib/store/names.ts';
import { counter, hashNumbers, postNota, request, startDatabases, startRoutes, uniqueKey, VALID, type Databases, type Routes } from './helpers/routes.ts';

const Routes = suite('routes');
let databases: Databases;
let routes: Routes;

Routes.before(async () => {
  databases = await startDatabases('routes');
  routes = await startRoutes(databases.env);
});

Routes.after(async () => {
  await routes?.close();
  await databases?.close();
});

Routes.before.each(async () => {
  await databases.reset();
});

const DOCUMENT_FIELDS = ['_id', 'aprobado', 'carnet', 'curso', 'minuto', 'nombre', 'nota', 'rango', 'recibido', 'ruta', 'semestre', 'year'];

async function assertStoredDocument(id: string, ruta: string, record: typeof VALID, before: number, after: number) {
  const document = await databases.collection.findOne({ _id: id });
  if (document === null) return assert.unreachable(`no document with _id ${id}`);

  assert.equal(Object.keys(document).sort(), DOCUMENT_FIELDS);
  assert.is(document._id, id);
  assert.is(document.carnet, record.carnet);
  assert.is(document.nombre, record.nombre);
  assert.is(document.curso, record.curso);
  assert.is(document.nota, record.nota);
  assert.is(document.semestre, record.semestre);
  assert.is(document.year, record.year);
  assert.is(document.ruta, ruta);
  assert.is(document.aprobado, record.nota >= 61);
  assert.is(document.rango, '90-100');

  assert.instance(document.recibido, Date);
  assert.ok(document.recibido.getTime() >= before, `recibido ${document.recibido.toISOString()} before the request`);
  assert.ok(document.recibido.getTime() <= after, `recibido ${document.recibido.toISOString()} after the response`);
  assert.instance(document.minuto, Date);
  assert.is(document.minuto.getTime(), Math.floor(document.recibido.getTime() / 60_000) * 60_000);
}

Routes('grpc stores the document', async () => {
  const key = uniqueKey('happy-grpc');
  const before = Date.now();
  const answer = await postNota(routes.grpc.url, VALID, { key });
  const after = Date.now();

  assert.is(answer.status, 201);
  assert.equal(answer.body, { id: key, ruta: 'grpc' });
  assert.is(answer.headers.get('x-ruta'), 'grpc');
  await assertStoredDocument(key, 'grpc', VALID, before, after);

  assert.is(await counter(databases.redisClient, REDIS_KEYS.total), 0, 'route grpc wrote to Redis');
});

Routes('cache stores document and counters', async () => {
  const key = uniqueKey('happy-cache');
  const before = Date.now();
  const answer = await postNota(routes.cache.url, VALID, { key });
  const after = Date.now();

  assert.is(answer.status, 201);
  assert.equal(answer.body, { id: key, ruta: 'cache' });
  assert.is(answer.headers.get('x-ruta'), 'cache');
  await assertStoredDocument(key, 'cache', VALID, before, after);

  const redis = databases.redisClient;
  assert.is(await counter(redis, REDIS_KEYS.total), 1);
  assert.equal(await hashNumbers(redis, REDIS_KEYS.porCurso), { SO1: 1 });
  assert.equal(await hashNumbers(redis, REDIS_KEYS.sumaPorCurso), { SO1: 90 });
  assert.equal(await hashNumbers(redis, REDIS_KEYS.aprobadosPorCurso), { SO1: 1 });
  assert.equal(await hashNumbers(redis, REDIS_KEYS.porSemestre), { '2024-1S': 1 });
  assert.equal(await hashNumbers(redis, REDIS_KEYS.porRango), { '90-100': 1 });
  assert.is(await redis.sIsMember(REDIS_KEYS.applied, key), 1);

  const entries = (await redis.xRange(REDIS_KEYS.recientes, '-', '+')) ?? [];
  assert.is(entries.length, 1);
  const message = entries[0].message as unknown as Record<string, Buffer>;
  assert.equal(Object.keys(message), [...RECIENTES_FIELDS]);
  const text = (field: string) => message[field].toString('utf8');
  assert.is(text('carnet'), String(VALID.carnet));
  assert.is(text('nombre'), VALID.nombre);
  assert.is(text('curso'), VALID.curso);
  assert.is(text('nota'), String(VALID.nota));
  assert.is(text('semestre'), VALID.semestre);
  assert.is(text('year'), String(VALID.year));
  assert.is(text('ruta'), 'cache');
  assert.is(text('id'), key);

  const document = await databases.collection.findOne({ _id: key });
  assert.is(text('recibido'), document?.recibido.toISOString());
});

Routes('cache counts failing grades', async () => {
  await postNota(routes.cache.url, { ...VALID, curso: 'BD1', nota: 60 }, { key: uniqueKey('fail') });
  await postNota(routes.cache.url, { ...VALID, curso: 'BD1', nota: 61 }, { key: uniqueKey('pass') });
  await postNota(routes.cache.url, { ...VALID, curso: 'BD1', nota: 0, semestre: '2S', year: 2023 }, { key: uniqueKey('zero') });

  const redis = databases.redisClient;
  assert.is(await counter(redis, REDIS_KEYS.total), 3);
  assert.equal(await hashNumbers(redis, REDIS_KEYS.porCurso), { BD1: 3 });
  assert.equal(await hashNumbers(redis, REDIS_KEYS.sumaPorCurso), { BD1: 121 });
  assert.equal(await hashNumbers(redis, REDIS_KEYS.aprobadosPorCurso), { BD1: 1 });
  assert.equal(await hashNumbers(redis, REDIS_KEYS.porSemestre), { '2024-1S': 2, '2023-2S': 1 });
  assert.equal(await hashNumbers(redis, REDIS_KEYS.porRango), { '60-69': 2, '0-9': 1 });

  const failing = await databases.collection.findOne({ nota: 60 });
  assert.is(failing?.aprobado, false);
  assert.is(failing?.rango, '60-69');
});

Routes('id generated without key', async () => {
  for (const route of [routes.grpc, routes.cache]) {
    const first = await postNota(route.url, VALID);
    const second = await postNota(route.url, VALID);
    assert.is(first.status, 201);
    assert.is(second.status, 201);
    assert.type(first.body.id, 'string');
    assert.ok(first.body.id.length > 0, 'empty id');
    assert.is.not(first.body.id, second.body.id);
  }
  assert.is(await databases.collection.countDocuments({}), 4);
});

Routes('unicode nombre round-trips bytes', async () => {
  const nombre = 'Zoë Ñandú 李 👩‍🎓';
  const expected = Buffer.from(nombre, 'utf8');

  for (const route of [routes.grpc, routes.cache]) {
    const key = uniqueKey(`unicode-${route.port}`);
    // Surrounding spaces are trimmed; the rest must be kept byte for byte.
    const answer = await postNota(route.url, { ...VALID, nombre: `  ${nombre} ` }, { key });
    assert.is(answer.status, 201, answer.text);

    const document = await databases.collection.findOne({ _id: key });
    assert.ok(Buffer.from(document?.nombre ?? '', 'utf8').equals(expected), `mongodb nombre ${JSON.stringify(document?.nombre)}`);
  }

  const entries = (await databases.redisClient.xRange(REDIS_KEYS.recientes, '-', '+')) ?? [];
  assert.is(entries.length, 1, 'only route cache writes the stream');
  const stored = (entries[0].message as unknown as Record<string, Buffer>).nombre;
  assert.ok(stored.equals(expected), `redis nombre bytes ${stored.toString('hex')}`);
});

Routes('indexes exist after start', async () => {
  const names = (await databases.collection.indexes()).map((index) => index.name);
  for (const index of INDEXES) assert.ok(names.includes(index.name), `index ${index.name} missing from ${names.join(', ')}`);
});

for (const ruta of ['grpc', 'cache'] as const) {
  Routes(`${ruta} probes and unknown paths`, async () => {
    const url = routes.byName[ruta].url;

    const healthz = await request(url, '/healthz');
    assert.is(healthz.status, 200);
    assert.equal(healthz.body, { status: 'ok' });
    assert.is(healthz.headers.get('x-ruta'), ruta);

    const readyz = await request(url, '/readyz');
    assert.is(readyz.status, 200, readyz.text);
    assert.is(readyz.body.status, 'ready');
    assert.is(readyz.headers.get('x-ruta'), ruta);

    const missing = await request(url, '/nope');
    assert.is(missing.status, 404);
    assert.is(missing.body.error.code, 'not_found');
    assert.is(missing.headers.get('x-ruta'), ruta);

    const wrongMethod = await request(url, '/notas', { method: 'PUT', body: '{}' });
    assert.is(wrongMethod.status, 405);
    assert.is(wrongMethod.headers.get('allow'), 'POST');
    assert.is(wrongMethod.body.error.message, 'method PUT is not allowed on /notas: use POST');
    assert.is(wrongMethod.headers.get('x-ruta'), ruta);

    const postHealth = await request(url, '/healthz', { method: 'POST' });
    assert.is(postHealth.status, 405);
    assert.is(postHealth.headers.get('allow'), 'GET, HEAD');
  });

  Routes(`${ruta} malformed request keeps x-ruta`, async () => {
    const { port } = routes.byName[ruta];
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.setEncoding('utf8');
      socket.setTimeout(5_000, () => socket.destroy(new Error('no response within 5000 ms')));
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });

    assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(raw, `x-ruta: ${ruta}\r\n`);
    assert.match(raw, '"code":"bad_request"');
  });

  Routes(`${ruta} metrics count requests`, async () => {
    const route = routes.byName[ruta];
    await postNota(route.url, VALID, { key: uniqueKey(`metrics-${ruta}`) });
    await postNota(route.url, { ...VALID, nota: 101 });

    const metrics = await request(route.url, '/metrics');
    assert.is(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', 'text/plain');
    assert.is(metrics.headers.get('x-ruta'), ruta);
    assert.match(metrics.text, `notas_http_requests_total{ruta="${ruta}",method="POST",path="/notas",status="201"}`);
    assert.match(metrics.text, `notas_http_requests_total{ruta="${ruta}",method="POST",path="/notas",status="400"}`);
    assert.match(metrics.text, `notas_http_request_duration_seconds_bucket{le="0.005",ruta="${ruta}",method="POST",path="/notas",status="201"}`);
    assert.match(metrics.text, '# TYPE notas_database_errors_total counter');
  });
}

Routes.run();
