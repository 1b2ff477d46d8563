/**
 * Checks, after a load run, that the databases contain exactly what the routes
 * acknowledged: nothing lost, nothing stored twice, no unacknowledged document,
 * and Redis counters equal to MongoDB's for route cache.
 */
import { MongoClient, type Collection, type Document } from 'mongodb';
import { createClient } from 'redis';

import { MONGO_COLLECTION, MONGO_DB, REDIS_KEYS, semestreField } from './store/names.ts';

export interface Acknowledged {
  key: string;
  id: string;
  ruta: string;
  status: number;
}

export interface Uncertain {
  key: string;
  kind: string;
}

export interface VerifyOptions {
  mongoUrl: string;
  mongoDb?: string;
  redisUrl: string;
  acknowledged: Acknowledged[];
  uncertain?: Uncertain[];
  /**
   * Only documents whose `_id` starts with this prefix belong to the run. The
   * load script's idempotency keys start with its run id, so earlier runs in
   * the same database are not reported as unacknowledged.
   */
  keyPrefix?: string;
  /** Milliseconds to wait for each database before giving up (default 5000). */
  timeoutMs?: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** Up to ten offending ids or keys, for the report. */
  examples?: string[];
}

export interface Reconciliation {
  ok: boolean;
  checks: Check[];
  counts: {
    acknowledged: number;
    acknowledgedByRoute: Record<string, number>;
    documentsInRun: number;
    uncertain: number;
    uncertainStored: number;
  };
}

const BATCH = 500;
const EXAMPLES = 10;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function groupCount(collection: Collection, match: Document, key: Document | string, sumField?: string): Promise<Map<string, number>> {
  const rows = await collection.aggregate([
    { $match: match },
    { $group: { _id: key, value: { $sum: sumField === undefined ? 1 : `$${sumField}` } } },
  ]).toArray();

  const out = new Map<string, number>();
  for (const row of rows) {
    const id = typeof row._id === 'object' && row._id !== null
      ? semestreField(row._id.year, row._id.semestre)
      : String(row._id);
    out.set(id, Number(row.value));
  }
  return out;
}

function hashToMap(hash: Record<string, string>): Map<string, number> {
  return new Map(Object.entries(hash).map(([field, value]) => [field, Number(value)]));
}

function compareMaps(name: string, redis: Map<string, number>, mongo: Map<string, number>): Check {
  const fields = new Set([...redis.keys(), ...mongo.keys()]);
  const differences: string[] = [];

  for (const field of [...fields].sort()) {
    const inRedis = redis.get(field) ?? 0;
    const inMongo = mongo.get(field) ?? 0;
    if (inRedis !== inMongo) differences.push(`${field}: redis ${inRedis}, mongodb ${inMongo}`);
  }

  return {
    name,
    ok: differences.length === 0,
    detail: differences.length === 0 ? `${fields.size} fields equal` : `${differences.length} fields differ`,
    examples: differences.slice(0, EXAMPLES),
  };
}

function createRedisClient(url: string, timeoutMs: number) {
  const client = createClient({ url, socket: { connectTimeout: timeoutMs, reconnectStrategy: false } });
  client.on('error', () => {
    // Connection errors also reject the pending command, which the caller reports.
  });
  return client;
}

type RedisClient = ReturnType<typeof createRedisClient>;

/**
 * Reconciles an acknowledgement log with MongoDB and Redis. An uncertain
 * request (timed out, reset after sending, or given a 5xx) may or may not have
 * stored its record, so those documents are counted apart, never as errors.
 */
export async function verifyStorage(options: VerifyOptions): Promise<Reconciliation> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const mongo = new MongoClient(options.mongoUrl, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  const redis = createRedisClient(options.redisUrl, timeoutMs);

  try {
    await mongo.connect();
    await redis.connect();
    return await reconcile(mongo.db(options.mongoDb ?? MONGO_DB).collection(MONGO_COLLECTION), redis, options);
  } finally {
    await mongo.close().catch(() => undefined);
    if (redis.isOpen) await redis.close().catch(() => undefined);
  }
}

async function reconcile(collection: Collection, redis: RedisClient, options: VerifyOptions): Promise<Reconciliation> {
  const checks: Check[] = [];
  const acknowledged = options.acknowledged;
  const uncertain = options.uncertain ?? [];

  const ackById = new Map<string, Acknowledged>();
  const duplicateAcks: string[] = [];
  for (const ack of acknowledged) {
    const earlier = ackById.get(ack.id);
    if (earlier !== undefined && earlier.key !== ack.key) duplicateAcks.push(ack.id);
    ackById.set(ack.id, ack);
  }
  checks.push({
    name: 'one id per acknowledged request',
    ok: duplicateAcks.length === 0,
    detail: duplicateAcks.length === 0 ? `${ackById.size} distinct ids` : `${duplicateAcks.length} ids returned for two different keys`,
    examples: duplicateAcks.slice(0, EXAMPLES),
  });

  // Every acknowledged id is stored once, by the route that acknowledged it.
  // The other route may serve a replay (200, duplicate) of a stored record, so
  // only first responses (201) must match the stored ruta. The stored ruta
  // decides which ids Redis must have counted.
  const missing: string[] = [];
  const wrongRuta: string[] = [];
  const storedByCache: string[] = [];
  for (const batch of chunks([...ackById.keys()], BATCH)) {
    const docs = await collection.find({ _id: { $in: batch } } as Document, { projection: { _id: 1, ruta: 1 } }).toArray();
    const found = new Map(docs.map((doc) => [String(doc._id), String(doc.ruta)]));
    for (const id of batch) {
      const ruta = found.get(id);
      const ack = ackById.get(id) as Acknowledged;
      if (ruta === undefined) {
        missing.push(id);
        continue;
      }
      if (ruta === 'cache') storedByCache.push(id);
      if (ack.status !== 200 && ruta !== ack.ruta) wrongRuta.push(`${id}: stored as ${ruta}, acknowledged by ${ack.ruta}`);
    }
  }
  checks.push({
    name: 'every acknowledged id is in mongodb',
    ok: missing.length === 0,
    detail: missing.length === 0 ? `${ackById.size} of ${ackById.size} found` : `${missing.length} missing`,
    examples: missing.slice(0, EXAMPLES),
  });
  checks.push({
    name: 'stored ruta matches x-ruta',
    ok: wrongRuta.length === 0,
    detail: wrongRuta.length === 0 ? 'all match' : `${wrongRuta.length} differ`,
    examples: wrongRuta.slice(0, EXAMPLES),
  });

  // Every document of this run was acknowledged, or came from an uncertain request.
  const runFilter: Document = options.keyPrefix === undefined ? {} : { _id: { $regex: `^${escapeRegex(options.keyPrefix)}` } };
  const uncertainKeys = new Set(uncertain.map((entry) => entry.key));
  const unacknowledged: string[] = [];
  let uncertainStored = 0;
  let documentsInRun = 0;
  for await (const doc of collection.find(runFilter, { projection: { _id: 1 } })) {
    documentsInRun += 1;
    const id = String(doc._id);
    if (ackById.has(id)) continue;
    if (uncertainKeys.has(id)) uncertainStored += 1;
    else unacknowledged.push(id);
  }
  checks.push({
    name: 'no unacknowledged documents',
    ok: unacknowledged.length === 0,
    detail: unacknowledged.length === 0
      ? `${documentsInRun} documents, ${uncertainStored} of them from uncertain requests`
      : `${unacknowledged.length} documents nobody acknowledged`,
    examples: unacknowledged.slice(0, EXAMPLES),
  });

  // Every cache id is applied in Redis once; the applied-id set makes a
  // second application impossible, so "once" shows as total == set size.
  const cacheIds = storedByCache;
  const notApplied: string[] = [];
  for (const batch of chunks(cacheIds, BATCH)) {
    if (batch.length === 0) continue;
    const flags = await redis.smIsMember(REDIS_KEYS.applied, batch);
    batch.forEach((id, index) => {
      if (!flags[index]) notApplied.push(id);
    });
  }
  checks.push({
    name: 'every cache id is counted in redis',
    ok: notApplied.length === 0,
    detail: notApplied.length === 0 ? `${cacheIds.length} of ${cacheIds.length} applied` : `${notApplied.length} not applied`,
    examples: notApplied.slice(0, EXAMPLES),
  });

  const cacheMatch = { ruta: 'cache' };
  const [total, applied, porCurso, sumaPorCurso, aprobadosPorCurso, porSemestre, porRango] = await Promise.all([
    redis.get(REDIS_KEYS.total),
    redis.sCard(REDIS_KEYS.applied),
    redis.hGetAll(REDIS_KEYS.porCurso),
    redis.hGetAll(REDIS_KEYS.sumaPorCurso),
    redis.hGetAll(REDIS_KEYS.aprobadosPorCurso),
    redis.hGetAll(REDIS_KEYS.porSemestre),
    redis.hGetAll(REDIS_KEYS.porRango),
  ]);
  const mongoCacheTotal = await collection.countDocuments(cacheMatch);

  checks.push({
    name: 'redis total equals mongodb cache documents',
    ok: Number(total ?? 0) === mongoCacheTotal && Number(applied) === mongoCacheTotal,
    detail: `${REDIS_KEYS.total} ${Number(total ?? 0)}, applied ids ${applied}, mongodb ${mongoCacheTotal}`,
  });
  checks.push(compareMaps('por_curso', hashToMap(porCurso), await groupCount(collection, cacheMatch, '$curso')));
  checks.push(compareMaps('suma_por_curso', hashToMap(sumaPorCurso), await groupCount(collection, cacheMatch, '$curso', 'nota')));
  checks.push(compareMaps('aprobados_por_curso', hashToMap(aprobadosPorCurso), await groupCount(collection, { ...cacheMatch, aprobado: true }, '$curso')));
  checks.push(compareMaps('por_semestre', hashToMap(porSemestre), await groupCount(collection, cacheMatch, { year: '$year', semestre: '$semestre' })));
  checks.push(compareMaps('por_rango', hashToMap(porRango), await groupCount(collection, cacheMatch, '$rango')));

  const acknowledgedByRoute: Record<string, number> = {};
  for (const ack of ackById.values()) acknowledgedByRoute[ack.ruta] = (acknowledgedByRoute[ack.ruta] ?? 0) + 1;

  return {
    ok: checks.every((check) => check.ok),
    checks,
    counts: {
      acknowledged: ackById.size,
      acknowledgedByRoute,
      documentsInRun,
      uncertain: uncertain.length,
      uncertainStored,
    },
  };
}

/** Formats a reconciliation as aligned lines, one per check, for terminals and CI logs. */
export function formatReconciliation(result: Reconciliation): string {
  const width = Math.max(...result.checks.map((check) => check.name.length));
  const lines = [`reconciliation: ${result.ok ? 'exact' : 'MISMATCH'}`];

  for (const check of result.checks) {
    lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name.padEnd(width)}  ${check.detail}`);
    if (!check.ok) for (const example of check.examples ?? []) lines.push(`         ${example}`);
  }

  const { counts } = result;
  const routes = Object.entries(counts.acknowledgedByRoute).map(([ruta, count]) => `${ruta} ${count}`).join(', ');
  lines.push(`  acknowledged ${counts.acknowledged} (${routes}); uncertain ${counts.uncertain}, of which stored ${counts.uncertainStored}`);
  return lines.join('\n');
}
