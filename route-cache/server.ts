/**
 * The HTTP service of route cache: stores each record in MongoDB, then applies
 * it to the Redis counters with one atomic script.
 *
 *   PORT=0 npx tsx route-cache/server.ts   # logs {"msg":"listening","port":…,"url":…}
 */
import { ErrorReply } from 'redis';
import type { ConfigOf } from '../lib/config.ts';
import { idempotencyKeyReused, internalError, unavailable } from '../lib/http/errors.ts';
import { closeServer, isMainModule, listen } from '../lib/http/lifecycle.ts';
import { createHttpMetrics } from '../lib/http/metrics.ts';
import { createNotasHttpServer, type NotasBackend, type RouteHandle } from '../lib/http/notas-server.ts';
import { runService } from '../lib/http/run.ts';
import { httpSettings, mongoSettings, processSettings, redisSettings } from '../lib/http/settings.ts';
import type { Logger } from '../lib/log.ts';
import { rateLimited } from '../lib/log.ts';
import { buildDocument, createMongoStore, ensureIndexesOrRetry, insertOrFind, isMongoUnavailable, type InsertResult } from '../lib/store/mongo.ts';
import { createPendingWrites } from '../lib/store/pending.ts';
import { createRedisStore } from '../lib/store/redis.ts';

export type { RouteHandle };

export const routeCacheSpec = {
  ...httpSettings(8081),
  ...mongoSettings,
  ...redisSettings,
  ...processSettings,
};

export type RouteCacheConfig = ConfigOf<typeof routeCacheSpec>;

/**
 * Starts route cache and resolves once it is bound. MongoDB and Redis may be
 * down: requests then get 503 and both clients reconnect by themselves.
 *
 * @example
 * const route = await startRouteCache({ ...config, port: 0, mongoUrl, redisUrl }, logger);
 * await fetch(`${route.url}/notas`, { method: 'POST', ... });
 */
export async function startRouteCache(config: RouteCacheConfig, logger: Logger): Promise<RouteHandle> {
  const mongo = createMongoStore({ url: config.mongoUrl, db: config.mongoDb, timeoutMs: config.mongoTimeoutMs, appName: 'route-cache' });
  const redis = createRedisStore({ url: config.redisUrl, timeoutMs: config.redisTimeoutMs, logger });
  const metrics = createHttpMetrics();
  const logDatabaseError = rateLimited(logger);

  // connect() waits through reconnect attempts while Redis is down, so start-up
  // waits only up to the timeout; commands fail fast with 503 meanwhile.
  const connecting = redis.connect().catch((error: unknown) => logger.error({ err: error }, 'redis connect failed'));
  await Promise.race([connecting, delay(config.redisTimeoutMs)]);
  const indexes = await ensureIndexesOrRetry(mongo, logger);

  const storeInMongo = async (document: Parameters<typeof insertOrFind>[1], log: Logger): Promise<InsertResult> => {
    try {
      await mongo.connect();
      return await insertOrFind(mongo.collection, document);
    } catch (error) {
      if (!isMongoUnavailable(error)) throw error;
      metrics.dependencyErrors.inc({ ruta: 'cache', dependency: 'mongodb', kind: (error as Error).name });
      logDatabaseError('mongodb', { err: error, reqId: log.bindings().reqId, id: document._id }, 'mongodb unavailable');
      throw unavailable('mongodb');
    }
  };

  const pending = createPendingWrites({
    apply: (document) => redis.applyNota(document),
    isReady: () => redis.isReady,
    logger,
  });

  const backend: NotasBackend = {
    async write(record, idempotencyKey, log) {
      // With Redis known to be down, reject before MongoDB is written, so this
      // 503 leaves nothing half-written.
      if (!redis.isReady) {
        metrics.dependencyErrors.inc({ ruta: 'cache', dependency: 'redis', kind: 'not_connected' });
        logDatabaseError('redis', { reqId: log.bindings().reqId }, 'redis is not connected');
        throw unavailable('redis');
      }

      const document = buildDocument(record, { ruta: 'cache', id: idempotencyKey, passingGrade: config.passingGrade });
      const stored = await storeInMongo(document, log);
      const id = stored.document._id;

      if (stored.conflict) {
        log.info({ id }, 'idempotency key reused for another record');
        throw idempotencyKeyReused(id);
      }

      // Route grpc stored this key first; its records never reach Redis.
      if (stored.duplicate && stored.document.ruta !== 'cache') {
        log.info({ id, storedBy: stored.document.ruta }, 'duplicate record');
        return { id, duplicate: true };
      }

      let applied: boolean;
      try {
        applied = await redis.applyNota(stored.document);
      } catch (error) {
        const kind = error instanceof ErrorReply ? 'error_reply' : (error as Error).name;
        metrics.dependencyErrors.inc({ ruta: 'cache', dependency: 'redis', kind });
        logDatabaseError('redis', { err: error, reqId: log.bindings().reqId, id }, 'redis write failed after mongodb write');
        if (error instanceof ErrorReply) throw internalError();

        // The document is in MongoDB: the pending queue applies it once Redis
        // is back, and so does a retry with the same key that reaches this route.
        pending.add(stored.document);
        throw unavailable('redis');
      }

      if (stored.duplicate && applied) log.info({ id }, 'completed missing redis write');
      else if (stored.duplicate) log.info({ id }, 'duplicate record');
      return { id, duplicate: stored.duplicate };
    },

    async readiness() {
      const [mongodb, redisStatus] = await Promise.all([
        mongo.ping().then(
          () => 'ok',
          (error: Error) => `mongodb ping failed: ${error.message}`,
        ),
        redis.isReady
          ? redis.ping().then(
              () => 'ok',
              (error: Error) => `redis ping failed: ${error.message}`,
            )
          : Promise.resolve('redis is not connected'),
      ]);
      return { mongodb, redis: redisStatus };
    },
  };

  const http = createNotasHttpServer({ ruta: 'cache', logger, metrics, backend });
  const address = await listen(http.server, config.port, config.host);
  logger.info({ port: address.port, url: address.url }, 'listening');

  return {
    ...address,
    metrics,
    async close() {
      http.beginShutdown();
      await closeServer(http.server, config.shutdownTimeoutMs, logger);
      indexes.stop();
      await pending.flush();
      pending.stop();
      // close() waits for pending replies; a client still reconnecting has none.
      if (redis.isReady) await redis.close().catch((error: unknown) => logger.warn({ err: error }, 'redis close failed'));
      else if (redis.isOpen) redis.destroy();
      await mongo.close();
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

if (isMainModule(import.meta)) {
  await runService('route-cache', routeCacheSpec, startRouteCache);
}
