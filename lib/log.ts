import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Creates the process logger: JSON lines on stdout, `service` on every line.
 * Record payloads are logged at debug level only, because they carry names.
 */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Takes the caller's `x-request-id` when it is well formed, else makes one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID_PATTERN.test(value) ? value : randomUUID();
}

/**
 * Returns a function that logs at most `limit` times per `windowMs` for one key
 * and then one summary line with the number suppressed, so a dead database
 * does not flood the log.
 */
export function rateLimited(logger: Logger, limit = 5, windowMs = 10_000) {
  const windows = new Map<string, { start: number; count: number }>();

  return function logLimited(key: string, fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    const window = windows.get(key);

    if (window === undefined || now - window.start >= windowMs) {
      if (window !== undefined && window.count > limit) {
        logger.warn({ key, suppressed: window.count - limit, windowMs }, 'repeated errors suppressed');
      }
      windows.set(key, { start: now, count: 1 });
      logger.error(fields, message);
      return;
    }

    window.count += 1;
    if (window.count <= limit) logger.error(fields, message);
  };
}
