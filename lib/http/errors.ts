/**
 * The HTTP errors both routes send, as a catalogue: a stable code, the
 * status, the field at fault and its accepted form, plus extra headers.
 */
import { describeValue, IDEMPOTENCY_KEY_FORM, type RecordError } from '../record.ts';

/** Value of Retry-After on every 503, in seconds. */
export const RETRY_AFTER_SECONDS = 1;

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  readonly accepted: string | null;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, details: { field?: string | null; accepted?: string | null; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.field = details.field ?? null;
    this.accepted = details.accepted ?? null;
    this.headers = details.headers ?? {};
  }

  /** Returns the JSON body `{ error: { code, field, message, accepted } }`. */
  toBody() {
    return { error: { code: this.code, field: this.field, message: this.message, accepted: this.accepted } };
  }
}

export function invalidRecord(error: RecordError): HttpError {
  return new HttpError(400, error.code, error.message, { field: error.field, accepted: error.accepted });
}

export function invalidIdempotencyKey(value: string): HttpError {
  return new HttpError(400, 'invalid_idempotency_key', `Idempotency-Key must be ${IDEMPOTENCY_KEY_FORM}, got ${describeValue(value)}`, {
    field: 'Idempotency-Key',
    accepted: IDEMPOTENCY_KEY_FORM,
  });
}

/** 422 for an Idempotency-Key whose first request carried a different record. */
export function idempotencyKeyReused(key: string): HttpError {
  return new HttpError(422, 'idempotency_key_reused', `Idempotency-Key ${describeValue(key)} was already used for a different record; send a new key for a new record`, {
    field: 'Idempotency-Key',
    accepted: 'a key not used before, or the same record as the first request with this key',
  });
}

/** 415 for a compressed body, which the routes do not decode. */
export function unsupportedEncoding(encoding: string): HttpError {
  return new HttpError(415, 'unsupported_encoding', `Content-Encoding ${describeValue(encoding)} is not supported; send the body uncompressed`, {
    field: 'Content-Encoding',
    accepted: 'no Content-Encoding, or identity',
  });
}

export function invalidJson(message: string): HttpError {
  return new HttpError(400, 'invalid_json', message, { accepted: 'one JSON object encoded as UTF-8' });
}

export function notFound(path: string): HttpError {
  return new HttpError(404, 'not_found', `no route for ${path}: use POST /notas, GET /healthz, GET /readyz or GET /metrics`);
}

export function methodNotAllowed(method: string, path: string, allowed: string[]): HttpError {
  const allow = allowed.join(', ');
  return new HttpError(405, 'method_not_allowed', `method ${method} is not allowed on ${path}: use ${allow}`, {
    accepted: allow,
    headers: { allow },
  });
}

export function payloadTooLarge(limitBytes: number): HttpError {
  return new HttpError(413, 'payload_too_large', `body is larger than ${limitBytes} bytes`, { accepted: `a body of at most ${limitBytes} bytes` });
}

export function unsupportedMediaType(contentType: string | undefined): HttpError {
  const got = contentType === undefined ? 'no Content-Type' : `Content-Type ${JSON.stringify(contentType)}`;
  return new HttpError(415, 'unsupported_media_type', `body must be sent as application/json, got ${got}`, { accepted: 'application/json' });
}

/** 503 for a dependency that is down; `dependency` is mongodb, redis or writer. */
export function unavailable(dependency: string, detail = 'is unavailable'): HttpError {
  return new HttpError(503, `${dependency}_unavailable`, `${dependency} ${detail}; retry after ${RETRY_AFTER_SECONDS} s`, {
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  });
}

export function shuttingDown(): HttpError {
  return new HttpError(503, 'shutting_down', `server is shutting down; retry after ${RETRY_AFTER_SECONDS} s`, {
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS), connection: 'close' },
  });
}

export function writerTimeout(deadlineMs: number): HttpError {
  return new HttpError(504, 'writer_timeout', `writer did not respond within ${deadlineMs} ms; retry with the same Idempotency-Key`);
}

/** 502 for a writer reply that is neither success nor a status with its own mapping. */
export function writerFailed(status: string): HttpError {
  return new HttpError(502, 'writer_failed', `writer failed with gRPC status ${status}; the server log has the details under this request id`);
}

export function internalError(): HttpError {
  return new HttpError(500, 'internal_error', 'internal error; the server log has the details under this request id');
}
