/**
 * The gRPC writer of route grpc: serves notas.v1.NotasService/Registrar and
 * grpc.health.v1, and stores each record in MongoDB.
 *
 *   GRPC_PORT=0 npx tsx route-grpc/server.ts   # logs {"msg":"listening","port":…}
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { port, type ConfigOf } from '../lib/config.ts';
import type { NotasServiceHandlers } from '../lib/generated/notas/v1/NotasService.ts';
import type { Registro__Output } from '../lib/generated/notas/v1/Registro.ts';
import { invalidArgument, loadNotasProto, NOTAS_SERVICE_NAME, SERVER_CHANNEL_OPTIONS, UNAVAILABLE_DEPENDENCY_KEY } from '../lib/grpc.ts';
import { isMainModule, urlHost } from '../lib/http/lifecycle.ts';
import { runService } from '../lib/http/run.ts';
import { bindHost, mongoSettings, processSettings } from '../lib/http/settings.ts';
import type { Logger } from '../lib/log.ts';
import { rateLimited } from '../lib/log.ts';
import { FIELDS, IDEMPOTENCY_KEY_FORM, IDEMPOTENCY_KEY_PATTERN, normalizeRecord, validateRecord } from '../lib/record.ts';
import { buildDocument, createMongoStore, ensureIndexesOrRetry, insertOrFind, isMongoUnavailable } from '../lib/store/mongo.ts';

export const grpcServerSpec = {
  grpcPort: { env: 'GRPC_PORT', default: 50051, parser: port },
  host: { env: 'HOST', default: '127.0.0.1', parser: bindHost },
  ...mongoSettings,
  ...processSettings,
};

export type GrpcServerConfig = ConfigOf<typeof grpcServerSpec>;

export interface GrpcServerHandle {
  port: number;
  /** Target for a grpc-js client, such as 127.0.0.1:50051 */
  target: string;
  close(): Promise<void>;
}

/** Interval of the MongoDB ping that drives the health status, in milliseconds. */
const HEALTH_INTERVAL_MS = 2_000;

/**
 * Starts the writer and resolves once it is bound. MongoDB may still be down:
 * calls then fail with UNAVAILABLE and the health status is NOT_SERVING until
 * a ping succeeds.
 *
 * @example
 * const writer = await startGrpcServer({ ...config, grpcPort: 0 }, logger);
 * // writer.target === '127.0.0.1:40123'
 */
export async function startGrpcServer(config: GrpcServerConfig, logger: Logger): Promise<GrpcServerHandle> {
  const proto = loadNotasProto();
  const mongo = createMongoStore({ url: config.mongoUrl, db: config.mongoDb, timeoutMs: config.mongoTimeoutMs, appName: 'route-grpc-server' });
  const logDatabaseError = rateLimited(logger);

  const health = new HealthImplementation({ '': 'NOT_SERVING', [NOTAS_SERVICE_NAME]: 'NOT_SERVING' });
  let serving = false;
  const setServing = (value: boolean, reason?: string) => {
    if (value === serving) return;
    serving = value;
    const status = value ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', status);
    health.setStatus(NOTAS_SERVICE_NAME, status);
    if (value) logger.info({ status }, 'health status changed');
    else logger.warn({ status, reason }, 'health status changed');
  };

  const registrar: NotasServiceHandlers['Registrar'] = function registrar(call, callback) {
    const requestId = call.metadata.get('x-request-id')[0];
    const log = logger.child({ reqId: typeof requestId === 'string' ? requestId : undefined });
    const key = call.request.idempotency_key ?? '';

    if (key !== '' && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      callback(invalidArgument({ code: 'invalid_body', field: 'idempotency_key', message: `idempotency_key must be ${IDEMPOTENCY_KEY_FORM} or empty`, accepted: IDEMPOTENCY_KEY_FORM }));
      return;
    }

    const validation = validateRecord(normalizeRecord(recordOf(call.request.registro)));
    if (!validation.ok) {
      log.debug({ error: validation.error }, 'record rejected');
      callback(invalidArgument(validation.error));
      return;
    }

    const document = buildDocument(validation.record, { ruta: 'grpc', id: key === '' ? undefined : key, passingGrade: config.passingGrade });
    mongo
      .connect()
      .then(() => insertOrFind(mongo.collection, document))
      .then((result) => {
        if (result.conflict) {
          log.info({ id: result.document._id }, 'idempotency key reused for another record');
          callback({ code: grpc.status.ALREADY_EXISTS, details: `idempotency_key ${JSON.stringify(key)} was already used for a different record` });
          return;
        }

        log.info({ id: result.document._id, duplicate: result.duplicate }, result.duplicate ? 'duplicate record' : 'record stored');
        callback(null, { id: result.document._id, duplicate: result.duplicate });
      })
      .catch((error: unknown) => {
        if (!isMongoUnavailable(error)) {
          log.error({ err: error, id: document._id }, 'record write failed');
          callback({ code: grpc.status.INTERNAL, details: 'record write failed; the writer log has the details' });
          return;
        }

        logDatabaseError('mongodb', { err: error, id: document._id }, 'mongodb unavailable');
        setServing(false, (error as Error).message);
        const metadata = new grpc.Metadata();
        metadata.set(UNAVAILABLE_DEPENDENCY_KEY, 'mongodb');
        callback({ code: grpc.status.UNAVAILABLE, details: `mongodb is unavailable: ${(error as Error).message}`, metadata });
      });
  };

  const server = new grpc.Server(SERVER_CHANNEL_OPTIONS);
  server.addService(proto.notas.v1.NotasService.service, { Registrar: registrar } satisfies NotasServiceHandlers);
  health.addToServer(server);

  const indexes = await ensureIndexesOrRetry(mongo, logger);
  const monitor = startHealthMonitor(mongo.ping, setServing);

  const boundPort = await bind(server, config.host, config.grpcPort);
  const target = `${urlHost(config.host)}:${boundPort}`;
  logger.info({ port: boundPort, target }, 'listening');

  return {
    port: boundPort,
    target,
    async close() {
      monitor.stop();
      indexes.stop();
      setServing(false, 'shutting down');
      await shutdown(server, config.shutdownTimeoutMs, logger);
      await mongo.close();
    },
  };
}

/** Copies only the fields that are set, so a missing field stays missing and the validator names it. */
function recordOf(registro: Registro__Output | undefined): unknown {
  if (registro === undefined || registro === null) return undefined;

  const record: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = registro[field];
    if (value !== undefined && value !== null) record[field] = value;
  }
  return record;
}

function startHealthMonitor(ping: () => Promise<void>, setServing: (value: boolean, reason?: string) => void) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const check = async () => {
    try {
      await ping();
      setServing(true);
    } catch (error) {
      setServing(false, (error as Error).message);
    }
    if (!stopped) timer = setTimeout(() => void check(), HEALTH_INTERVAL_MS);
  };
  void check();

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function bind(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, boundPort) => {
      if (error !== null) {
        reject(new Error(`listen on ${host}:${port} failed: ${error.message}`, { cause: error }));
        return;
      }
      resolve(boundPort);
    });
  });
}

/** Lets in-flight calls finish, then cancels what is left after `timeoutMs`. */
function shutdown(server: grpc.Server, timeoutMs: number, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      logger.warn({ timeoutMs }, 'shutdown timed out, cancelling open calls');
      server.forceShutdown();
      resolve();
    }, timeoutMs);

    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

if (isMainModule(import.meta)) {
  await runService('route-grpc-server', grpcServerSpec, startGrpcServer);
}
