/**
 * The HTTP service of route grpc: validates each record and forwards it over
 * one long-lived gRPC channel to the writer (route-grpc/server.ts).
 *
 *   PORT=0 npx tsx route-grpc/client.ts   # logs {"msg":"listening","port":…,"url":…}
 */
import * as grpc from '@grpc/grpc-js';
import type { ConfigOf } from '../lib/config.ts';
import type { NotasServiceClient } from '../lib/generated/notas/v1/NotasService.ts';
import type { RegistrarResponse__Output } from '../lib/generated/notas/v1/RegistrarResponse.ts';
import { checkHealth, CLIENT_CHANNEL_OPTIONS, createHealthClient, loadNotasProto, NOTAS_SERVICE_NAME, recordErrorOf, UNAVAILABLE_DEPENDENCY_KEY } from '../lib/grpc.ts';
import { idempotencyKeyReused, invalidRecord, unavailable, writerFailed, writerTimeout, type HttpError } from '../lib/http/errors.ts';
import { closeServer, isMainModule, listen } from '../lib/http/lifecycle.ts';
import { createHttpMetrics } from '../lib/http/metrics.ts';
import { createNotasHttpServer, type NotasBackend, type RouteHandle } from '../lib/http/notas-server.ts';
import { runService } from '../lib/http/run.ts';
import { grpcClientSettings, httpSettings, processSettings } from '../lib/http/settings.ts';
import type { Logger } from '../lib/log.ts';
import { rateLimited } from '../lib/log.ts';
import type { NotaRecord } from '../lib/record.ts';

export type { RouteHandle };

export const routeGrpcSpec = {
  ...httpSettings(8080),
  ...grpcClientSettings,
  ...processSettings,
};

export type RouteGrpcConfig = ConfigOf<typeof routeGrpcSpec>;

/** Deadline of the readiness health check, in milliseconds. */
const READINESS_DEADLINE_MS = 1_000;

/**
 * Starts route grpc's HTTP service and resolves once it is bound. The writer
 * may be down: requests then get 503 and the channel reconnects by itself.
 *
 * @example
 * const route = await startRouteGrpc({ ...config, port: 0, grpcTarget: writer.target }, logger);
 * await fetch(`${route.url}/notas`, { method: 'POST', ... });
 */
export async function startRouteGrpc(config: RouteGrpcConfig, logger: Logger): Promise<RouteHandle> {
  const proto = loadNotasProto();
  const client = new proto.notas.v1.NotasService(config.grpcTarget, grpc.credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
  const healthClient = createHealthClient(config.grpcTarget, { channelOverride: client.getChannel() });
  const metrics = createHttpMetrics();
  const logWriterError = rateLimited(logger);

  const backend: NotasBackend = {
    async write(record, idempotencyKey, log) {
      try {
        const response = await registrar(client, record, idempotencyKey, config.grpcDeadlineMs, log);
        return { id: response.id ?? '', duplicate: response.duplicate ?? false };
      } catch (error) {
        const serviceError = error as grpc.ServiceError;
        const statusName = grpc.status[serviceError.code] ?? String(serviceError.code);
        // Client errors are the caller's, not the writer's: no error metric or log.
        if (serviceError.code !== grpc.status.INVALID_ARGUMENT && serviceError.code !== grpc.status.ALREADY_EXISTS) {
          metrics.dependencyErrors.inc({ ruta: 'grpc', dependency: 'writer', kind: statusName });
          logWriterError(`writer:${statusName}`, { err: serviceError, reqId: log.bindings().reqId, status: statusName }, 'writer call failed');
        }
        throw httpErrorOf(serviceError, config.grpcDeadlineMs, idempotencyKey);
      }
    },

    async readiness() {
      try {
        const status = await checkHealth(healthClient, NOTAS_SERVICE_NAME, READINESS_DEADLINE_MS);
        return { writer: status === 'SERVING' ? 'ok' : `writer reports ${status}` };
      } catch (error) {
        return { writer: `writer health check failed: ${(error as grpc.ServiceError).details ?? (error as Error).message}` };
      }
    },
  };

  const http = createNotasHttpServer({ ruta: 'grpc', logger, metrics, backend });
  const address = await listen(http.server, config.port, config.host);
  logger.info({ port: address.port, url: address.url, writer: config.grpcTarget }, 'listening');

  return {
    ...address,
    metrics,
    async close() {
      http.beginShutdown();
      await closeServer(http.server, config.shutdownTimeoutMs, logger);
      healthClient.close();
      client.close();
    },
  };
}

function registrar(client: NotasServiceClient, record: NotaRecord, idempotencyKey: string | undefined, deadlineMs: number, log: Logger) {
  const metadata = new grpc.Metadata();
  const requestId = log.bindings().reqId;
  if (typeof requestId === 'string') metadata.set('x-request-id', requestId);

  return new Promise<RegistrarResponse__Output>((resolve, reject) => {
    client.Registrar({ registro: record, idempotency_key: idempotencyKey ?? '' }, metadata, { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error !== null || response === undefined) {
        reject(error ?? new Error('writer returned no response'));
        return;
      }
      resolve(response);
    });
  });
}

/** Maps a writer's gRPC status to the HTTP error both routes send for the same cause. */
function httpErrorOf(error: grpc.ServiceError, deadlineMs: number, idempotencyKey: string | undefined): HttpError {
  switch (error.code) {
    case grpc.status.INVALID_ARGUMENT:
      return invalidRecord(recordErrorOf(error));
    case grpc.status.ALREADY_EXISTS:
      return idempotencyKeyReused(idempotencyKey ?? '');
    case grpc.status.UNAVAILABLE: {
      const dependency = error.metadata?.get(UNAVAILABLE_DEPENDENCY_KEY)[0];
      return dependency === 'mongodb' ? unavailable('mongodb') : unavailable('writer');
    }
    case grpc.status.DEADLINE_EXCEEDED:
      return writerTimeout(deadlineMs);
    case grpc.status.CANCELLED:
      return unavailable('writer', 'cancelled the call');
    default:
      return writerFailed(grpc.status[error.code] ?? String(error.code));
  }
}

if (isMainModule(import.meta)) {
  await runService('route-grpc', routeGrpcSpec, startRouteGrpc);
}
