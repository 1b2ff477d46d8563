/**
 * The Redis side of storage (route cache): key names, the script that applies
 * one record to every counter at once, and a client that fails fast.
 */
import { createClient, defineScript, type RedisArgument } from 'redis';
import type { Logger } from '../log.ts';
import type { NotaDocument } from './mongo.ts';
import { RECIENTES_FIELDS, RECIENTES_MAXLEN, REDIS_KEYS, semestreField } from './names.ts';

// KEYS: aplicados, total, por_curso, suma_por_curso, aprobados_por_curso,
// por_semestre, por_rango, recientes.
// ARGV: id, curso, nota, aprobado (1 or 0), semestre field, rango, maxlen,
// then the stream entry as field/value pairs.
// SADD returns 0 for an id already applied, which makes the script a no-op,
// so a retry never counts a record twice. Aprobados grows by 0 for a failing
// grade, which still creates the course's field for the dashboards.
const APPLY_SCRIPT = `
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('INCR', KEYS[2])
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
redis.call('HINCRBY', KEYS[4], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[5], ARGV[2], ARGV[4])
redis.call('HINCRBY', KEYS[6], ARGV[5], 1)
redis.call('HINCRBY', KEYS[7], ARGV[6], 1)
redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[7], '*', unpack(ARGV, 8))
return 1
`;

/** Flattens a document into the `notas:recientes` entry, as field/value pairs. */
export function recientesEntry(document: NotaDocument): string[] {
  const values: Record<(typeof RECIENTES_FIELDS)[number], string> = {
    carnet: String(document.carnet),
    nombre: document.nombre,
    curso: document.curso,
    nota: String(document.nota),
    semestre: document.semestre,
    year: String(document.year),
    ruta: document.ruta,
    id: document._id,
    recibido: document.recibido.toISOString(),
  };
  return RECIENTES_FIELDS.flatMap((field) => [field, values[field]]);
}

/**
 * Script that applies one stored document to every Redis key atomically,
 * once per `_id`. Replies true when it counted the document and false when the
 * id was already applied.
 */
export const applyNota = defineScript({
  SCRIPT: APPLY_SCRIPT,
  NUMBER_OF_KEYS: 8,
  parseCommand(parser, document: NotaDocument) {
    parser.pushKey(REDIS_KEYS.applied);
    parser.pushKey(REDIS_KEYS.total);
    parser.pushKey(REDIS_KEYS.porCurso);
    parser.pushKey(REDIS_KEYS.sumaPorCurso);
    parser.pushKey(REDIS_KEYS.aprobadosPorCurso);
    parser.pushKey(REDIS_KEYS.porSemestre);
    parser.pushKey(REDIS_KEYS.porRango);
    parser.pushKey(REDIS_KEYS.recientes);

    const args: RedisArgument[] = [
      document._id,
      document.curso,
      String(document.nota),
      document.aprobado ? '1' : '0',
      semestreField(document.year, document.semestre),
      document.rango,
      String(RECIENTES_MAXLEN),
      ...recientesEntry(document),
    ];
    parser.push(...args);
  },
  transformReply: (reply: unknown) => reply === 1,
});

export interface RedisConnectionOptions {
  url: string;
  /** Limit for connecting and for each command, sent or not, in milliseconds. */
  timeoutMs: number;
  logger: Logger;
}

/** Delay before reconnect attempt `retries`: 100 ms doubling to 2 s, plus up to 100 ms of jitter. */
export function reconnectDelay(retries: number): number {
  return Math.min(100 * 2 ** retries, 2_000) + Math.floor(Math.random() * 100);
}

/**
 * Creates a node-redis client with the `applyNota` script that never queues
 * commands while disconnected: they reject at once, so a request gets a 503
 * instead of waiting, and the client keeps reconnecting in the background.
 * Call `connect()` without awaiting it when Redis may be down at start-up.
 */
export function createRedisStore(options: RedisConnectionOptions) {
  const { logger } = options;
  let lastError = '';

  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    scripts: { applyNota },
    socket: {
      connectTimeout: options.timeoutMs,
      reconnectStrategy: (retries: number) => reconnectDelay(retries),
    },
    // A server that accepts but never replies would otherwise hold requests;
    // the script is safe to run again because it is applied once per id.
    commandOptions: { timeout: options.timeoutMs, rejectInFlight: true },
  });

  client.on('error', (error: Error) => {
    // The client reports each failed reconnect; log only a changed error.
    if (error.message === lastError) return;
    lastError = error.message;
    logger.error({ err: error }, 'redis error');
  });
  client.on('reconnecting', () => logger.warn({ url: options.url }, 'redis reconnecting'));
  client.on('ready', () => {
    lastError = '';
    logger.info('redis ready');
  });

  return client;
}

export type NotasRedisClient = ReturnType<typeof createRedisStore>;
