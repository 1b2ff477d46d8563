/**
 * gRPC pieces shared by the writer (route-grpc/server.ts) and its client
 * (route-grpc/client.ts): the loaded proto, channel options, the health
 * service client, and error metadata that carries a validation error.
 */
import * as grpc from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType } from './generated/notas.ts';
import type { RecordError } from './record.ts';

export const NOTAS_PROTO_PATH = fileURLToPath(new URL('../proto/notas/v1/notas.proto', import.meta.url));

/** Full name of the writer's service, as the health service reports it. */
export const NOTAS_SERVICE_NAME = 'notas.v1.NotasService';

/**
 * proto-loader options. They match the flags of `npm run gen:proto`, so the
 * objects have the shapes of lib/generated. With `defaults: false` a missing
 * optional field stays undefined, so the writer can reject it instead of reading a zero.
 */
export const LOADER_OPTIONS: Options = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true };

export function loadNotasProto(): ProtoGrpcType {
  const definition = loadSync(NOTAS_PROTO_PATH, LOADER_OPTIONS);
  return grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
}

/**
 * Client channel options: keepalive pings find a dead connection while the
 * channel is idle, instead of on the next request.
 */
export const CLIENT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  // Reconnect quickly once the writer is back; the gRPC default backoff caps at 120 s.
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

/** Server options that accept the client's keepalive pings. */
export const SERVER_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
};

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthClient extends grpc.Client {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: ServingStatus }) => void,
  ): grpc.ClientUnaryCall;
}

type HealthClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => HealthClient;

/**
 * Creates a grpc.health.v1 client. Pass the channel of an existing client as
 * `channelOverride` to share its connection.
 */
export function createHealthClient(target: string, options: grpc.ClientOptions = {}): HealthClient {
  const definition = loadSync(healthProtoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: HealthClientConstructor } } } };
  return new loaded.grpc.health.v1.Health(target, grpc.credentials.createInsecure(), options);
}

/** Asks a health service for the status of `service`, within `deadlineMs`. */
export function checkHealth(client: HealthClient, service: string, deadlineMs: number): Promise<ServingStatus> {
  return new Promise((resolve, reject) => {
    client.Check({ service }, { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error !== null) {
        reject(error);
        return;
      }
      resolve(response?.status ?? 'UNKNOWN');
    });
  });
}

/** Metadata key of an UNAVAILABLE error that names the dependency at fault, such as `mongodb`. */
export const UNAVAILABLE_DEPENDENCY_KEY = 'notas-unavailable';

// Trailing metadata keys of an INVALID_ARGUMENT error, so the HTTP route can
// send the same 400 body as route cache.
const ERROR_CODE_KEY = 'notas-error-code';
const ERROR_FIELD_KEY = 'notas-error-field';
const ERROR_ACCEPTED_KEY = 'notas-error-accepted';

/** Builds an INVALID_ARGUMENT error whose metadata carries the record error's code, field and accepted form. */
export function invalidArgument(error: RecordError): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_CODE_KEY, error.code);
  if (error.field !== null) metadata.set(ERROR_FIELD_KEY, error.field);
  // Metadata values must be printable ASCII; the accepted forms are.
  metadata.set(ERROR_ACCEPTED_KEY, error.accepted);
  return { code: grpc.status.INVALID_ARGUMENT, details: error.message, metadata };
}

/** Reads back what `invalidArgument` put into an error's metadata. */
export function recordErrorOf(error: grpc.ServiceError): RecordError {
  const text = (key: string): string | null => {
    const value = error.metadata?.get(key)[0];
    return typeof value === 'string' ? value : null;
  };
  return {
    code: (text(ERROR_CODE_KEY) ?? 'invalid_value') as RecordError['code'],
    field: text(ERROR_FIELD_KEY),
    message: error.details,
    accepted: text(ERROR_ACCEPTED_KEY) ?? '',
  };
}
