import type { IncomingMessage } from 'node:http';

/** Largest record body accepted, in bytes (16 KiB). */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Bytes read and discarded after a body passes the limit, so a client that is
 * still sending can read the 413. Past this many bytes the connection is closed.
 */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

export type BodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; reason: 'too_large'; /** True when the rest of the body was not read, so the connection must close. */ unread: boolean };

/**
 * Reads a request body of at most `limitBytes`. A longer body, announced by
 * Content-Length or found while reading, yields `too_large` without buffering
 * more than the limit.
 */
export function readBody(request: IncomingMessage, limitBytes = BODY_LIMIT_BYTES): Promise<BodyResult> {
  const announced = Number(request.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(announced) && announced > DRAIN_LIMIT_BYTES) {
    return Promise.resolve({ ok: false, reason: 'too_large', unread: true });
  }

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = Number.isFinite(announced) && announced > limitBytes;

    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) tooLarge = true;
      if (!tooLarge) {
        chunks.push(chunk);
        return;
      }
      if (received > DRAIN_LIMIT_BYTES) {
        cleanup();
        request.pause();
        resolve({ ok: false, reason: 'too_large', unread: true });
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(tooLarge ? { ok: false, reason: 'too_large', unread: false } : { ok: true, body: Buffer.concat(chunks, received) });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      if (!request.complete) onError(new Error('client closed the connection before the body ended'));
    };
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };

    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a body as one JSON value, or returns a message that explains why it is not one. */
export function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false; message: string } {
  if (body.length === 0) return { ok: false, message: 'body is empty: expected one JSON object' };

  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, message: 'body is not valid UTF-8' };
  }

  if (text.trim() === '') return { ok: false, message: 'body is empty: expected one JSON object' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `body is not valid JSON: ${(error as Error).message}` };
  }
}

/** Tells whether a Content-Type is application/json, with no charset or UTF-8. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;

  const [type, ...parameters] = header.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;

  return parameters.every((parameter) => {
    const [name, value] = parameter.split('=').map((part) => part.trim());
    return name !== 'charset' || value === 'utf-8' || value === '"utf-8"' || value === 'utf8';
  });
}
