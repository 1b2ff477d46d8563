/**
 * Runs every MongoDB and Redis panel query of the committed dashboards
 * against real FerretDB and Redis after a real load run through the local
 * stack, where nginx splits the requests between both routes. Each panel
 * must get data of the shape it needs, with the right values.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Db, type Document } from 'mongodb';
import { createClient } from 'redis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runLoad, type LoadResult } from '../lib/load/run.ts';
import type { PoolEntry as LoadEntry } from '../lib/load/pool.ts';
import { generatePool } from '../lib/pool.ts';
import { DEFAULT_PASSING_GRADE, rangoOf, type NotaRecord } from '../lib/record.ts';
import { freePort } from '../lib/stack/ports.ts';
import { startLocalStack, type LocalStack } from '../lib/stack/local.ts';
import { MONGODB_DASHBOARD_UID } from '../grafana/src/mongodb.ts';
import { REDIS_DASHBOARD_UID } from '../grafana/src/redis.ts';
import { ULTIMOS_COLUMNS } from '../grafana/src/panels.ts';
import { committedDashboard, panelByTitle, readYaml, variableValues, type DashboardJson } from './helpers/grafana.ts';
import {
  EmptyPanelError,
  groupRows,
  hashRows,
  mongoFrame,
  mongoTargets,
  pipelineOf,
  redisTargets,
  runMongoTarget,
  runRedisTarget,
  type Frame,
  type TimeRange,
} from './helpers/grafana-replay.ts';

const POOL_SIZE = 300;
const FIRST_CARNET = 202_600_001;
/** Closed-model users of the load run: requests in flight at once. */
const USERS = 8;
/** Rows of the "Últimos registros" tables. */
const LATEST = 20;
const RUN_ID = 'grafana';

type Ruta = 'grpc' | 'cache';
interface Sent {
  record: NotaRecord;
  ruta: Ruta;
}

let stack: LocalStack | undefined;
let dir = '';
let mongo: MongoClient | undefined;
let redis: ReturnType<typeof createClient> | undefined;
let db: Db;
let sent: Sent[] = [];
let load: LoadResult;
let range: TimeRange;

const mongoDashboard = () => committedDashboard(MONGODB_DASHBOARD_UID);
const redisDashboard = () => committedDashboard(REDIS_DASHBOARD_UID);

/** Returns the database the provisioned MongoDB datasource reads. */
function datasourceDatabase(): string {
  const file = readYaml('grafana', 'provisioning', 'datasources', 'datasources.yaml');
  return file.datasources.find((entry: { uid: string }) => entry.uid === 'notas-mongodb').jsonData.database;
}

/** Runs each MongoDB target of a panel; `prefix` stages go first (a ruta filter for the Redis comparison). */
async function mongoPanel(dashboard: DashboardJson, title: string, prefix: Document[] = []): Promise<Record<string, Frame>> {
  const panel = panelByTitle(dashboard, title);
  const targets = mongoTargets(panel);
  assert.ok(targets.length > 0, `panel "${title}" has no MongoDB query`);

  const frames: Record<string, Frame> = {};
  for (const target of targets) {
    const pipeline = [...prefix, ...pipelineOf(dashboard, target, range, variableValues(dashboard))];
    frames[target.refId] = mongoFrame(await runMongoTarget(db, panel, target, pipeline));
  }
  return frames;
}

async function redisPanel(title: string): Promise<Record<string, Frame>> {
  const panel = panelByTitle(redisDashboard(), title);
  const targets = redisTargets(panel);
  assert.ok(targets.length > 0, `panel "${title}" has no Redis query`);

  const frames: Record<string, Frame> = {};
  for (const target of targets) frames[target.refId] = await runRedisTarget(redis!, panel, target);
  return frames;
}

/**
 * Pairs each acknowledgement with the pool record it stored: the stored
 * document is looked up by the returned id and matched to the pool by its
 * carnet, and must hold exactly the record's fields.
 */
async function acknowledgedRecords(result: LoadResult, records: NotaRecord[]): Promise<Sent[]> {
  const ids = result.acknowledged.map((ack) => ack.id);
  assert.is(ids.filter((id) => id === null).length, 0, 'acknowledgements without id');

  const documents = await db.collection('notas').find({ _id: { $in: ids as never[] } }).toArray();
  const byId = new Map(documents.map((document) => [String(document._id), document]));

  return result.acknowledged.map((ack) => {
    const document = byId.get(String(ack.id));
    assert.ok(document, `acknowledged id ${ack.id} not stored`);

    const record = records[document.carnet - FIRST_CARNET];
    assert.ok(record, `stored carnet ${document.carnet} is not from the pool`);
    for (const field of ['carnet', 'nombre', 'curso', 'nota', 'semestre', 'year'] as const) {
      assert.is(document[field], record[field], `${ack.id}.${field}`);
    }
    assert.is(document.ruta, ack.ruta, `${ack.id}.ruta`);
    return { record, ruta: ack.ruta as Ruta };
  });
}

function countsBy(records: Sent[], key: (record: NotaRecord, ruta: Ruta) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { record, ruta } of records) counts.set(key(record, ruta), (counts.get(key(record, ruta)) ?? 0) + 1);
  return counts;
}

function sumsBy(records: Sent[], key: (record: NotaRecord) => string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const { record } of records) sums.set(key(record), (sums.get(key(record)) ?? 0) + record.nota);
  return sums;
}

function sorted(map: Map<string, number>): Array<[string, number]> {
  return [...map].sort(([left], [right]) => left.localeCompare(right));
}

/** Computes what the panel's joinByField + calculateField(suma ÷ registros) shows per course. */
function averages(suma: Map<string, number>, registros: Map<string, number>): Map<string, number> {
  return new Map([...registros].map(([curso, count]) => [curso, (suma.get(curso) ?? Number.NaN) / count]));
}

function assertNumbers(frame: Frame, field: string, panel: string) {
  assert.ok(frame[field], `panel "${panel}": field ${field} missing`);
  for (const value of frame[field]) assert.type(value, 'number', `panel "${panel}": ${field} must be numeric`);
}

function assertStrings(frame: Frame, field: string, panel: string) {
  assert.ok(frame[field], `panel "${panel}": field ${field} missing`);
  for (const value of frame[field]) assert.type(value, 'string', `panel "${panel}": ${field} must be text`);
}

const cacheOnly = () => sent.filter(({ ruta }) => ruta === 'cache');
const ONLY_CACHE: Document[] = [{ $match: { ruta: 'cache' } }];

const queries = suite('grafana panel queries');

queries.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'notas-grafana-'));
  stack = await startLocalStack({ dir, ingressPort: await freePort() });

  // A carnet per pool entry identifies which record each stored document is.
  const generated = generatePool({ count: POOL_SIZE, seed: 61, invalidRatio: 0, lastYear: new Date().getUTCFullYear() }) as NotaRecord[];
  const records = generated.map((record, index) => ({ ...record, carnet: FIRST_CARNET + index }));
  const entries: LoadEntry[] = records.map((record, index) => ({ index, body: Buffer.from(JSON.stringify(record)), invalid: null }));

  const started = new Date();
  load = await runLoad({ url: stack.ingress, pool: entries, requests: POOL_SIZE, durationMs: null, users: USERS, runId: RUN_ID, timeoutMs: 10_000 });
  range = { from: new Date(started.getTime() - 60 * 60_000), to: new Date(Date.now() + 1_000) };

  mongo = new MongoClient(stack.mongoUrl, { serverSelectionTimeoutMS: 5_000 });
  await mongo.connect();
  db = mongo.db(datasourceDatabase());

  sent = await acknowledgedRecords(load, records);

  redis = createClient({ url: stack.redisUrl, socket: { connectTimeout: 5_000, reconnectStrategy: false } });
  await redis.connect();
});

queries.after(async () => {
  await redis?.close().catch(() => undefined);
  await mongo?.close().catch(() => undefined);
  await stack?.stop();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

queries('load run acknowledged every record', () => {
  assert.is(load.acknowledged.length, POOL_SIZE, `${load.unexpected} unexpected failures, ${load.uncertain.length} uncertain`);
  assert.ok(sent.some(({ ruta }) => ruta === 'grpc'), 'no record went through route grpc');
  assert.ok(cacheOnly().length > 0, 'no record went through route cache');
});

queries('every mongodb panel returns rows', async () => {
  const dashboard = mongoDashboard();
  let count = 0;

  for (const panel of dashboard.panels) {
    for (const target of mongoTargets(panel)) {
      const pipeline = pipelineOf(dashboard, target, range, variableValues(dashboard));
      const rows = await runMongoTarget(db, panel, target, pipeline);
      assert.ok(rows.length > 0);
      count += 1;
    }
  }
  assert.is(count, 13);
});

queries('every redis panel returns rows', async () => {
  let count = 0;

  for (const panel of redisDashboard().panels) {
    for (const target of redisTargets(panel)) {
      const frame = await runRedisTarget(redis!, panel, target);
      assert.ok(Object.keys(frame).length > 0);
      count += 1;
    }
  }
  assert.is(count, 9);
});

queries('empty result names the panel', async () => {
  const dashboard = mongoDashboard();
  const panel = panelByTitle(dashboard, 'Registros por curso');
  const [target] = mongoTargets(panel);
  const pipeline = [{ $match: { curso: 'NO-EXISTE' } }, ...pipelineOf(dashboard, target, range, variableValues(dashboard))];

  try {
    await runMongoTarget(db, panel, target, pipeline);
    assert.unreachable('an empty result must fail');
  } catch (error) {
    assert.instance(error, EmptyPanelError);
    assert.is((error as Error).message, 'panel "Registros por curso" query A returned no rows');
  }
});

queries('mongo total counts every record', async () => {
  const { A } = await mongoPanel(mongoDashboard(), 'Total de registros');

  assert.equal(Object.keys(A), ['registros']);
  assertNumbers(A, 'registros', 'Total de registros');
  assert.equal(A.registros, [POOL_SIZE]);
});

queries('mongo split by ruta', async () => {
  const { A } = await mongoPanel(mongoDashboard(), 'Registros por ruta');

  assertStrings(A, '_id', 'Registros por ruta');
  assertNumbers(A, 'registros', 'Registros por ruta');
  assert.equal(sorted(groupRows(A, 'registros')), sorted(countsBy(sent, (_record, ruta) => ruta)));
});

queries('mongo per minute uses dates', async () => {
  const frames = await mongoPanel(mongoDashboard(), 'Registros recibidos por minuto');
  const expected: Record<string, Ruta> = { A: 'grpc', B: 'cache' };

  for (const [refId, ruta] of Object.entries(expected)) {
    const frame = frames[refId];
    for (const minute of frame._id) {
      assert.instance(minute, Date, `${refId}: _id must be a BSON Date`);
      assert.is((minute as Date).getTime() % 60_000, 0, `${refId}: not truncated to the minute`);
    }
    assertNumbers(frame, 'registros', 'Registros recibidos por minuto');

    const total = (frame.registros as number[]).reduce((sum, value) => sum + value, 0);
    assert.is(total, sent.filter((entry) => entry.ruta === ruta).length, `${refId} (${ruta}) per-minute total`);
  }
});

queries('mongo per minute respects range', async () => {
  const dashboard = mongoDashboard();
  const panel = panelByTitle(dashboard, 'Registros recibidos por minuto');
  const [target] = mongoTargets(panel);
  const past = { from: new Date('2001-01-01T00:00:00Z'), to: new Date('2001-01-01T01:00:00Z') };

  const rows = await db.collection(target.collection).aggregate(pipelineOf(dashboard, target, past, variableValues(dashboard))).toArray();
  assert.is(rows.length, 0);
});

queries('mongo counts per curso', async () => {
  const { A } = await mongoPanel(mongoDashboard(), 'Registros por curso');

  assertStrings(A, '_id', 'Registros por curso');
  assertNumbers(A, 'registros', 'Registros por curso');
  assert.equal(sorted(groupRows(A, 'registros')), sorted(countsBy(sent, (record) => record.curso)));
});

queries('mongo average per curso', async () => {
  const { A, B } = await mongoPanel(mongoDashboard(), 'Promedio por curso');
  assertNumbers(A, 'suma', 'Promedio por curso');
  assertNumbers(B, 'registros', 'Promedio por curso');

  const shown = averages(groupRows(A, 'suma'), groupRows(B, 'registros'));
  const expected = averages(sumsBy(sent, (record) => record.curso), countsBy(sent, (record) => record.curso));

  assert.equal(sorted(shown), sorted(expected));
  for (const [curso, average] of shown) assert.ok(average >= 0 && average <= 100, `${curso}: average ${average}`);
});

queries('mongo grade ranges', async () => {
  const { A } = await mongoPanel(mongoDashboard(), 'Distribución de notas en rangos de 10');

  assertStrings(A, '_id', 'Distribución de notas en rangos de 10');
  assert.equal(sorted(groupRows(A, 'registros')), sorted(countsBy(sent, (record) => rangoOf(record.nota))));
});

queries('mongo passing and failing', async () => {
  const { A, B } = await mongoPanel(mongoDashboard(), 'Aprobados y reprobados por curso');
  const passing = sent.filter(({ record }) => record.nota >= DEFAULT_PASSING_GRADE);
  const failing = sent.filter(({ record }) => record.nota < DEFAULT_PASSING_GRADE);

  assertNumbers(A, 'aprobados', 'Aprobados y reprobados por curso');
  assertNumbers(B, 'reprobados', 'Aprobados y reprobados por curso');
  assert.equal(sorted(groupRows(A, 'aprobados')), sorted(countsBy(passing, (record) => record.curso)));
  assert.equal(sorted(groupRows(B, 'reprobados')), sorted(countsBy(failing, (record) => record.curso)));

  // The writers' derived field agrees with the dashboard's default passing grade.
  assert.is(await db.collection('notas').countDocuments({ aprobado: true }), passing.length);
});

queries('mongo per semestre and year', async () => {
  const { A, B } = await mongoPanel(mongoDashboard(), 'Registros por semestre y año');

  for (const frame of [A, B]) for (const year of frame._id) assert.type(year, 'number', 'year must be numeric');
  assert.equal(sorted(groupRows(A, 'registros_1S')), sorted(countsBy(sent.filter(({ record }) => record.semestre === '1S'), (record) => String(record.year))));
  assert.equal(sorted(groupRows(B, 'registros_2S')), sorted(countsBy(sent.filter(({ record }) => record.semestre === '2S'), (record) => String(record.year))));
});

queries('mongo latest records table', async () => {
  const { A } = await mongoPanel(mongoDashboard(), 'Últimos registros');

  assert.equal(Object.keys(A).sort(), [...ULTIMOS_COLUMNS].sort());
  assert.is(A.carnet.length, LATEST);
  for (const received of A.recibido) assert.instance(received, Date, 'recibido must be a BSON Date');
  for (const field of ['carnet', 'nota', 'year']) assertNumbers(A, field, 'Últimos registros');

  const times = (A.recibido as Date[]).map((date) => date.getTime());
  assert.equal(times, [...times].sort((left, right) => right - left), 'rows must be newest first');
});

queries('redis total equals mongo cache', async () => {
  const { A } = await redisPanel('Total de registros');
  const mongoCache = await mongoPanel(mongoDashboard(), 'Total de registros', ONLY_CACHE);

  assertNumbers(A, 'Value', 'Total de registros');
  assert.equal(A.Value, mongoCache.A.registros);
  assert.equal(A.Value, [cacheOnly().length]);
});

queries('redis per curso equals mongo cache', async () => {
  const { A } = await redisPanel('Conteo por curso');
  const mongoCache = await mongoPanel(mongoDashboard(), 'Registros por curso', ONLY_CACHE);

  assert.equal(sorted(hashRows(A)), sorted(groupRows(mongoCache.A, 'registros')));
});

queries('redis average equals mongo cache', async () => {
  const { A, B } = await redisPanel('Promedio por curso');
  const mongoCache = await mongoPanel(mongoDashboard(), 'Promedio por curso', ONLY_CACHE);

  const redisAverages = averages(hashRows(A), hashRows(B));
  const mongoAverages = averages(groupRows(mongoCache.A, 'suma'), groupRows(mongoCache.B, 'registros'));
  const expected = averages(sumsBy(cacheOnly(), (record) => record.curso), countsBy(cacheOnly(), (record) => record.curso));

  assert.equal(sorted(redisAverages), sorted(mongoAverages));
  assert.equal(sorted(redisAverages), sorted(expected));
});

queries('redis passing equals mongo cache', async () => {
  const { A, B } = await redisPanel('Aprobados y reprobados por curso');
  const mongoCache = await mongoPanel(mongoDashboard(), 'Aprobados y reprobados por curso', ONLY_CACHE);

  // Redis keeps a 0 for a course without passing grades; MongoDB has no group for it.
  const redisPassing = new Map([...hashRows(A)].filter(([, count]) => count > 0));
  assert.equal(sorted(redisPassing), sorted(groupRows(mongoCache.A, 'aprobados')));

  const redisFailing = new Map([...hashRows(B)].map(([curso, total]): [string, number] => [curso, total - (hashRows(A).get(curso) ?? 0)]).filter(([, count]) => count > 0));
  assert.equal(sorted(redisFailing), sorted(groupRows(mongoCache.B, 'reprobados')));
});

queries('redis ranges equal mongo cache', async () => {
  const { A } = await redisPanel('Distribución por rango');
  const mongoCache = await mongoPanel(mongoDashboard(), 'Distribución de notas en rangos de 10', ONLY_CACHE);

  assert.equal(sorted(hashRows(A)), sorted(groupRows(mongoCache.A, 'registros')));
});

queries('redis semestre equals mongo cache', async () => {
  const { A } = await redisPanel('Registros por semestre y año');
  const mongoCache = await mongoPanel(mongoDashboard(), 'Registros por semestre y año', ONLY_CACHE);

  const fromMongo = new Map<string, number>();
  for (const [year, count] of groupRows(mongoCache.A, 'registros_1S')) fromMongo.set(`${year}-1S`, count);
  for (const [year, count] of groupRows(mongoCache.B, 'registros_2S')) fromMongo.set(`${year}-2S`, count);
  assert.equal(sorted(hashRows(A)), sorted(fromMongo));
});

queries('redis latest equal mongo cache', async () => {
  const { A } = await redisPanel('Últimos registros');

  for (const column of [...ULTIMOS_COLUMNS, 'id', '$streamId']) assert.ok(A[column], `stream field ${column} missing`);
  assert.is(A.id.length, LATEST);
  for (const field of ['carnet', 'nota', 'year']) assertNumbers(A, field, 'Últimos registros');
  for (const ruta of A.ruta) assert.is(ruta, 'cache');

  // MongoDB orders by recibido (arrival) and the stream by XADD time, and a
  // slow request can XADD after later arrivals, so the two tables may differ
  // at the bottom. A document XADDed after the k-th newest one either arrived
  // later (k - 1 at most) or was in flight at that XADD (USERS - 1 at most),
  // so the newest LATEST - USERS + 1 documents are always in the stream's tail.
  const newest = await db.collection('notas').find({ ruta: 'cache' }).sort({ recibido: -1 }).limit(LATEST - USERS + 1).toArray();
  const shown = new Set(A.id as string[]);
  for (const document of newest) {
    assert.ok(shown.has(String(document._id)), `newest cache document ${document._id} missing from the stream table`);
  }

  const stored = await db.collection('notas').find({ _id: { $in: A.id as never[] } }).toArray();
  const byId = new Map(stored.map((document) => [String(document._id), document]));
  for (const [row, id] of (A.id as string[]).entries()) {
    const document = byId.get(id);
    assert.ok(document, `stream entry ${id} has no MongoDB document`);
    for (const column of ULTIMOS_COLUMNS.filter((name) => name !== 'recibido')) {
      assert.is(A[column][row], document[column], `${id}.${column}`);
    }
    assert.is(A.recibido[row], document.recibido.toISOString(), `${id}.recibido`);
  }
});

queries.run();
