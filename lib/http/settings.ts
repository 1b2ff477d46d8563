/**
 * Settings that several processes share, each with its default and unit.
 * A process builds its own spec from these pieces and loads it with
 * `loadConfigOrExit` from lib/config.ts.
 */
import { hostPort, integer, logLevel, milliseconds, port, url, type Parser } from '../config.ts';
import { DEFAULT_PASSING_GRADE } from '../record.ts';
import { MONGO_DB } from '../store/names.ts';

/** An IPv4/IPv6 address or a host name to bind, such as 127.0.0.1 or 0.0.0.0. */
export const bindHost: Parser<string> = {
  accepted: 'an IP address or host name, such as 127.0.0.1 or 0.0.0.0',
  parse: (raw) => (/^[A-Za-z0-9.:-]{1,253}$/.test(raw) ? raw : undefined),
};

/** A MongoDB database name: no spaces, dots, slashes or quotes, at most 63 bytes. */
export const databaseName: Parser<string> = {
  accepted: 'a database name of 1 to 63 characters without spaces, dots, slashes, quotes or $',
  parse: (raw) => (/^[^\s./\\"$*<>:|?]{1,63}$/.test(raw) ? raw : undefined),
};

/** Settings of a process that serves HTTP. Defaults bind loopback; containers set HOST=0.0.0.0. */
export function httpSettings(defaultPort: number) {
  return {
    port: { env: 'PORT', default: defaultPort, parser: port },
    host: { env: 'HOST', default: '127.0.0.1', parser: bindHost },
  };
}

export const processSettings = {
  logLevel: { env: 'LOG_LEVEL', default: 'info', parser: logLevel },
  /** Time to finish in-flight requests after SIGTERM, in milliseconds. */
  shutdownTimeoutMs: { env: 'SHUTDOWN_TIMEOUT_MS', default: 10_000, parser: milliseconds(0, 300_000) },
};

export const mongoSettings = {
  mongoUrl: { env: 'MONGO_URL', default: 'mongodb://127.0.0.1:27017', parser: url(['mongodb:', 'mongodb+srv:']) },
  mongoDb: { env: 'MONGO_DB', default: MONGO_DB, parser: databaseName },
  /** Server selection and connect timeout, in milliseconds; a request fails with 503 after about this long. */
  mongoTimeoutMs: { env: 'MONGO_TIMEOUT_MS', default: 1_500, parser: milliseconds(50, 60_000) },
  /** Lowest passing grade, stored as `aprobado`. */
  passingGrade: { env: 'NOTA_APROBACION', default: DEFAULT_PASSING_GRADE, parser: integer(0, 100) },
};

export const redisSettings = {
  redisUrl: { env: 'REDIS_URL', default: 'redis://127.0.0.1:6379', parser: url(['redis:', 'rediss:']) },
  /** Connect and per-command timeout, in milliseconds. */
  redisTimeoutMs: { env: 'REDIS_TIMEOUT_MS', default: 1_000, parser: milliseconds(50, 60_000) },
};

export const grpcClientSettings = {
  grpcTarget: { env: 'GRPC_TARGET', default: '127.0.0.1:50051', parser: hostPort },
  /** Deadline of each Registrar call, in milliseconds; past it the route responds 504. */
  grpcDeadlineMs: { env: 'GRPC_DEADLINE_MS', default: 2_000, parser: milliseconds(50, 60_000) },
};
