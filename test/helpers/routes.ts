/**
 * A real stack for route tests: FerretDB and redis-server as child processes,
 * the writer and both HTTP routes in this process on port 0, and clients to
 * inspect what was stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Collection } from 'mongodb';
import { createClient, RESP_TYPES } from 'redis';
import { loadConfig } from '../../lib/config.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { startFerretDB, type FerretDBInstance } from '../../lib/stack/ferretdb.ts';
import { startRedis, type RedisInstance } from '../../lib/stack/redis.ts';
import type { NotaDocument } from '../../lib/store/mongo.ts';
import { MONGO_COLLECTION, REDIS_KEYS } from '../../lib/store/names.ts';
import { routeCacheSpec, startRouteCache, type RouteHandle } from '../../route-cache/server.ts';
import { routeGrpcSpec, startRouteGrpc } from '../../route-grpc/client.ts';
import { grpcServerSpec, startGrpcServer, type GrpcServerHandle } from '../../route-grpc/server.ts';

/** A valid record; tests spread it and change one field. */
export const VALID = { carnet: 201900001, nombre: 'Ana López', curso: 'SO1', nota: 90, semestre: '1S', year: 2024 } as const;

/** Short timeouts so failure tests finish quickly (milliseconds). */
export const TEST_ENV = {
  MONGO_TIMEOUT_MS: '500',
  REDIS_TIMEOUT_MS: '500',
  GRPC_DEADLINE_MS: '1500',
  SHUTDOWN_TIMEOUT_MS: '3000',
  PORT: '0',
  GRPC_PORT: '0',
};

/** Test log level; set TEST_LOG_LEVEL=debug to see the services' logs. */
export function testLogger(name: string): Logger {
  return createLogger(name, process.env.TEST_LOG_LEVEL ?? 'silent');
}

export interface Databases {
  dir: string;
  mongo: FerretDBInstance;
  redis: RedisInstance;
  mongoDb: string;
  mongoClient: MongoClient;
  collection: Collection<NotaDocument>;
  /** Redis client whose strings come back as Buffers, for byte comparisons. */
  redisClient: ReturnType<typeof createRedisClient>;
  env: Record<string, string>;
  /** Empties the collection and every notas: key. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

function createRedisClient(url: string) {
  return createClient({ url, socket: { reconnectStrategy: 200 } }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
}

/** Starts FerretDB and redis-server in a new temporary folder. */
export async function startDatabases(name: string): Promise<Databases> {
  const dir = mkdtempSync(join(tmpdir(), `notas-${name}-`));
  const [mongo, redis] = await Promise.all([startFerretDB({ dir: join(dir, 'ferretdb') }), startRedis({ dir: join(dir, 'redis') })]);

  const mongoDb = 'notas_test';
  const mongoClient = new MongoClient(mongo.url, { serverSelectionTimeoutMS: 2_000 });
  const collection = mongoClient.db(mongoDb).collection<NotaDocument>(MONGO_COLLECTION);
  const redisClient = createRedisClient(redis.url);
  redisClient.on('error', () => {
    // Failure tests stop Redis on purpose; the client reconnects by itself.
  });
  await redisClient.connect();

  return {
    dir,
    mongo,
    redis,
    mongoDb,
    mongoClient,
    collection,
    redisClient,
    env: { ...TEST_ENV, MONGO_URL: mongo.url, MONGO_DB: mongoDb, REDIS_URL: redis.url },
    async reset() {
      await collection.deleteMany({});
      await redisClient.del(Object.values(REDIS_KEYS));
    },
    async close() {
      await mongoClient.close();
      redisClient.destroy();
      await Promise.allSettled([mongo.stop(), redis.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Routes {
  writer: GrpcServerHandle;
  grpc: RouteHandle;
  cache: RouteHandle;
  /** Both routes by name, for tables that run against each. */
  byName: { grpc: RouteHandle; cache: RouteHandle };
  close(): Promise<void>;
}

/** Starts the writer and both routes in this process, on free ports. */
export async function startRoutes(env: Record<string, string>, overrides: Record<string, string> = {}): Promise<Routes> {
  const settings = { ...env, ...overrides };
  const writer = await startGrpcServer(loadConfig(grpcServerSpec, settings), testLogger('route-grpc-server'));
  const grpc = await startRouteGrpc(loadConfig(routeGrpcSpec, { ...settings, GRPC_TARGET: writer.target }), testLogger('route-grpc'));
  const cache = await startRouteCache(loadConfig(routeCacheSpec, settings), testLogger('route-cache'));

  return {
    writer,
    grpc,
    cache,
    byName: { grpc, cache },
    async close() {
      await Promise.allSettled([grpc.close(), cache.close()]);
      await writer.close();
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: any;
  text: string;
}

export interface PostOptions {
  key?: string;
  contentType?: string | null;
  /** Raw body; when absent `record` is sent as JSON. */
  raw?: string | Uint8Array;
  /** Abort the request after this many milliseconds (default 10000). */
  timeoutMs?: number;
}

/** POSTs one record to `${url}/notas` and reads the whole response. */
export async function postNota(url: string, record: unknown, options: PostOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  if (options.key !== undefined) headers['idempotency-key'] = options.key;

  const response = await fetch(`${url}/notas`, {
    method: 'POST',
    headers,
    body: (options.raw ?? JSON.stringify(record)) as BodyInit,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  return readAnswer(response);
}

/** Sends a request without a record, such as GET /readyz. */
export async function request(url: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  return readAnswer(response);
}

async function readAnswer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON, such as /metrics: keep the text.
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** Retries `check` every 100 ms until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Reads a Redis hash as field → number. */
export async function hashNumbers(client: Databases['redisClient'], key: string): Promise<Record<string, number>> {
  const raw = (await client.hGetAll(key)) as unknown as Record<string, Buffer>;
  const numbers: Record<string, number> = {};
  for (const [field, value] of Object.entries(raw)) numbers[field] = Number(value.toString());
  return numbers;
}

/** Reads a Redis string counter as a number (0 when missing). */
export async function counter(client: Databases['redisClient'], key: string): Promise<number> {
  const value = (await client.get(key)) as unknown as Buffer | null;
  return value === null ? 0 : Number(value.toString());
}

let keySequence = 0;

/** Returns an idempotency key no other test uses. */
export function uniqueKey(prefix: string): string {
  keySequence += 1;
  return `${prefix}:${process.pid}:${Date.now()}:${keySequence}`;
}
