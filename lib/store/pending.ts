/**
 * Records that reached MongoDB but whose Redis write failed. Route cache
 * keeps them here and applies them once Redis is back, so the two stores
 * converge without a client retry. A retry could not be relied on: the 50/50
 * split may send it to route grpc, which never writes Redis.
 */
import type { Logger } from '../log.ts';
import type { NotaDocument } from './mongo.ts';

export interface PendingWritesOptions {
  /** Applies one document to Redis; resolves true when it was counted now, false when already counted. */
  apply(document: NotaDocument): Promise<boolean>;
  /** Whether Redis is connected; no attempt is made while it is not. */
  isReady(): boolean;
  logger: Logger;
  /** Time between attempts, in milliseconds (default 1000). */
  intervalMs?: number;
  /** Most documents kept; the oldest is dropped past it (default 10000). */
  maxEntries?: number;
}

export interface PendingWrites {
  add(document: NotaDocument): void;
  size(): number;
  /** Tries every pending document once, in the order they failed; stops at the first failure. */
  flush(): Promise<void>;
  stop(): void;
}

/**
 * Creates the queue and its timer. The Redis script counts each id once, so
 * applying a document that a client retry already completed changes nothing.
 *
 * NOTE: the queue lives in memory. Documents still pending when the process
 * stops wait for a retry with their Idempotency-Key, and the stop log line counts them.
 */
export function createPendingWrites(options: PendingWritesOptions): PendingWrites {
  const intervalMs = options.intervalMs ?? 1_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const { logger } = options;
  const pending = new Map<string, NotaDocument>();
  let flushing = false;

  async function flush(): Promise<void> {
    if (flushing || pending.size === 0 || !options.isReady()) return;
    flushing = true;

    try {
      for (const [id, document] of pending) {
        try {
          const applied = await options.apply(document);
          pending.delete(id);
          logger.info({ id, applied, pending: pending.size }, applied ? 'pending redis write applied' : 'pending redis write was already applied');
        } catch (error) {
          logger.warn({ err: error, id, pending: pending.size }, 'pending redis write failed; retrying later');
          return;
        }
      }
    } finally {
      flushing = false;
    }
  }

  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();

  return {
    add(document) {
      if (pending.size >= maxEntries && !pending.has(document._id)) {
        const oldest = pending.keys().next().value as string;
        pending.delete(oldest);
        logger.error({ id: oldest, maxEntries }, 'pending redis writes full; dropped the oldest, which a retry with its key still completes');
      }
      pending.set(document._id, document);
    },
    size: () => pending.size,
    flush,
    stop() {
      clearInterval(timer);
      if (pending.size > 0) logger.warn({ pending: pending.size }, 'stopped with pending redis writes; retries with their keys complete them');
    },
  };
}
