/**
 * The MongoDB side of storage, shared by both routes, the reconciliation code
 * and the tests: names, the document shape, indexes and the idempotent insert.
 */
import { randomUUID } from 'node:crypto';
import { MongoClient, MongoServerError, type Collection, type Db, type IndexDirection } from 'mongodb';
import { FIELDS, rangoOf, type NotaRecord } from '../record.ts';
import { MONGO_COLLECTION, type Ruta } from './names.ts';


/** One stored record: its fields plus what is derived at write time so dashboards need no computed expressions. */
export interface NotaDocument extends NotaRecord {
  /** Idempotency key when the client sent one, else a random UUID. */
  _id: string;
  ruta: Ruta;
  recibido: Date;
  /** nota ≥ the passing grade in force when the record was written. */
  aprobado: boolean;
  /** Grade bucket, `0-9` to `90-100`. */
  rango: string;
  /** `recibido` truncated to the minute (UTC). */
  minuto: Date;
}

export interface DocumentOptions {
  ruta: Ruta;
  /** Idempotency key; a random UUID is used without one. */
  id?: string;
  passingGrade: number;
  recibido?: Date;
}

/**
 * Builds the document for a validated record. Only the six record fields are
 * copied, so nothing else the caller passed reaches the database.
 */
export function buildDocument(record: NotaRecord, options: DocumentOptions): NotaDocument {
  const recibido = options.recibido ?? new Date();
  const minuto = new Date(Math.floor(recibido.getTime() / 60_000) * 60_000);

  return {
    _id: options.id ?? randomUUID(),
    carnet: record.carnet,
    nombre: record.nombre,
    curso: record.curso,
    nota: record.nota,
    semestre: record.semestre,
    year: record.year,
    ruta: options.ruta,
    recibido,
    aprobado: record.nota >= options.passingGrade,
    rango: rangoOf(record.nota),
    minuto,
  };
}

/** Indexes for the dashboard queries: per course, per route over time, and the latest records. */
export const INDEXES: ReadonlyArray<{ name: string; key: Record<string, IndexDirection> }> = [
  { name: 'curso_1', key: { curso: 1 } },
  { name: 'ruta_1_minuto_1', key: { ruta: 1, minuto: 1 } },
  { name: 'minuto_1', key: { minuto: 1 } },
  { name: 'recibido_-1', key: { recibido: -1 } },
];

/**
 * Creates the dashboard indexes; safe to run on every start-up.
 *
 * One createIndex call per index, because FerretDB 1.24 closes the connection
 * when a single createIndexes command names indexes that already exist.
 */
export async function ensureIndexes(collection: Collection<NotaDocument>): Promise<string[]> {
  const names: string[] = [];
  for (const index of INDEXES) {
    names.push(await collection.createIndex(index.key, { name: index.name }));
  }
  return names;
}

export interface InsertResult {
  /** The stored document: the new one, or the one first stored under this id. */
  document: NotaDocument;
  duplicate: boolean;
  /** True when the id was first stored with a different record, so the key was reused. */
  conflict: boolean;
}

/** Tells whether two documents carry the same record fields. */
export function sameRecord(first: NotaRecord, second: NotaRecord): boolean {
  return FIELDS.every((field) => first[field] === second[field]);
}

const DUPLICATE_KEY = 11000;

/**
 * Inserts the document, or returns the one already stored under its `_id`
 * with `duplicate: true`, and `conflict: true` when that one contains another
 * record. Resolves only after the write is acknowledged.
 */
export async function insertOrFind(collection: Collection<NotaDocument>, document: NotaDocument): Promise<InsertResult> {
  try {
    await collection.insertOne(document);
    return { document, duplicate: false, conflict: false };
  } catch (error) {
    if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
  }

  const existing = await collection.findOne({ _id: document._id });
  if (existing === null) {
    // Only reachable if the first document was deleted between the two calls.
    throw new Error(`document ${document._id} reported as duplicate but not found`);
  }
  return { document: existing, duplicate: true, conflict: !sameRecord(existing, document) };
}

export interface MongoConnectionOptions {
  url: string;
  db: string;
  /** Server selection and connect timeout, in milliseconds. */
  timeoutMs: number;
  appName?: string;
}

export interface MongoStore {
  client: MongoClient;
  db: Db;
  collection: Collection<NotaDocument>;
  /**
   * Connects, or reconnects after a failed attempt; a no-op while connected.
   * Call it before each operation on `collection`.
   */
  connect(): Promise<void>;
  /** Resolves when the server replies to a ping within the timeout. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Creates a MongoDB client that fails fast: server selection gives up after
 * `timeoutMs` instead of the driver's 30 s default. Nothing connects here, so a
 * server that is down does not make this throw.
 */
export function createMongoStore(options: MongoConnectionOptions): MongoStore {
  const client = new MongoClient(options.url, {
    appName: options.appName,
    serverSelectionTimeoutMS: options.timeoutMs,
    connectTimeoutMS: options.timeoutMs,
    // A hung server must not hold a request forever; a write takes far less than this.
    socketTimeoutMS: options.timeoutMs * 5,
    // A standalone server (FerretDB, the single-node StatefulSet) has no
    // retryable writes; a client retry with the same Idempotency-Key is the retry.
    retryWrites: false,
  });
  const db = client.db(options.db);

  // NOTE: with mongodb 7.9.1, when the implicit connect of the first operation
  // fails, every later operation fails with MongoTopologyClosedError. An
  // explicit connect() starts over, so each operation goes through it.
  let closed = false;
  const connect = async () => {
    // A late health check or index retry must not reopen a closed client.
    if (closed) throw new Error('mongodb client is closed');
    await client.connect();
  };

  return {
    client,
    db,
    collection: db.collection<NotaDocument>(MONGO_COLLECTION),
    connect,
    async ping() {
      await connect();
      await db.command({ ping: 1 });
    },
    async close() {
      closed = true;
      await client.close();
    },
  };
}

/** Names of driver errors that mean the server could not be reached or did not reply, not that the request was wrong. */
const UNAVAILABLE_ERRORS = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoOperationTimeoutError',
  'MongoPoolClearedError',
]);

/** Tells whether a driver error means MongoDB is unavailable (respond 503) rather than a bug. */
export function isMongoUnavailable(error: unknown): boolean {
  return error instanceof Error && UNAVAILABLE_ERRORS.has(error.name);
}

/**
 * Creates the indexes now, or, while MongoDB is unreachable, retries every
 * `retryMs` in the background, so a service can start before its database.
 * Resolves after the first attempt; `stop()` ends the retries.
 */
export async function ensureIndexesOrRetry(
  store: MongoStore,
  log: { info(fields: object, message: string): void; warn(fields: object, message: string): void },
  retryMs = 2_000,
): Promise<{ stop(): void }> {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const attempt = async (): Promise<void> => {
    try {
      await store.connect();
      const indexes = await ensureIndexes(store.collection);
      log.info({ indexes }, 'indexes ready');
    } catch (error) {
      log.warn({ err: error, retryMs }, 'index creation failed, retrying');
      if (!stopped) timer = setTimeout(() => void attempt(), retryMs);
    }
  };

  await attempt();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
