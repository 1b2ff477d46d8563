import { Pool } from 'undici';
import type { PoolEntry } from './pool.ts';

/** How one request ended, as the transport reports it. */
export interface Outcome {
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  /** The `x-ruta` response header, `unknown` when missing or when no response arrived. */
  route: string;
  /** Response body as text when it was requested (2xx with acknowledgements, or any non-2xx); else null. */
  body: string | null;
  /** Response body size in bytes. */
  bytes: number;
  /** Transport error when no complete response arrived. */
  error: Error | null;
  /** True when the request had been written in full before the error, so the server may have stored it. */
  sent: boolean;
}

export type OutcomeListener = (outcome: Outcome) => void;

/** What the runner needs from an HTTP client. */
export interface LoadTransport {
  send(entry: PoolEntry, idempotencyKey: string, wantSuccessBody: boolean, listener: OutcomeListener): void;
  /** Aborts every request in flight, each reporting an error outcome, and closes the connections. */
  destroy(): Promise<void>;
}

export interface TransportOptions {
  connections: number;
  /** Time to wait for response headers, and between body chunks, in ms. */
  timeoutMs: number;
}

// Keep response bodies of failures short: they only feed the failure sample.
const MAX_BODY_BYTES = 64 * 1024;
const ROUTE_HEADER = 'x-ruta';

/**
 * One handler object per request on undici's raw dispatch interface, which
 * skips the stream and promise of `request()` and so costs about a quarter
 * less CPU per request.
 *
 * NOTE: uses the onConnect/onHeaders/onData/onComplete handler methods that
 * undici 7 marks deprecated in its types; they are the interface its HTTP/1.1
 * client calls directly (the newer methods are adapted onto them), and the
 * only one that reports when the request body was fully written.
 */
class RequestHandler {
  status = 0;
  route = 'unknown';
  bytes = 0;
  sent = false;
  chunks: Buffer[] | null = null;
  readonly wantSuccessBody: boolean;
  readonly listener: OutcomeListener;

  constructor(wantSuccessBody: boolean, listener: OutcomeListener) {
    this.wantSuccessBody = wantSuccessBody;
    this.listener = listener;
  }

  onConnect(): void {}

  onRequestSent(): void {
    this.sent = true;
  }

  onHeaders(status: number, rawHeaders: Buffer[]): boolean {
    this.status = status;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i];
      if (name.length === ROUTE_HEADER.length && name.toString('latin1').toLowerCase() === ROUTE_HEADER) {
        this.route = rawHeaders[i + 1].toString('latin1').trim() || 'unknown';
      }
    }

    const success = status >= 200 && status < 300;
    if (!success || this.wantSuccessBody) this.chunks = [];
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.chunks !== null && this.bytes <= MAX_BODY_BYTES) this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    const body = this.chunks === null ? null : Buffer.concat(this.chunks).toString('utf8');
    this.listener({ status: this.status, route: this.route, body, bytes: this.bytes, error: null, sent: true });
  }

  onError(error: Error): void {
    this.listener({ status: 0, route: 'unknown', body: null, bytes: this.bytes, error, sent: this.sent });
  }
}

/** Sends pool records as `POST` requests over undici's keep-alive connection pool. */
export class UndiciTransport implements LoadTransport {
  readonly pool: Pool;
  readonly path: string;
  readonly timeoutMs: number;

  constructor(url: URL, options: TransportOptions) {
    this.path = url.pathname + url.search;
    this.timeoutMs = options.timeoutMs;
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      pipelining: 1,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: options.timeoutMs },
      keepAliveTimeout: 60_000,
    });
  }

  send(entry: PoolEntry, idempotencyKey: string, wantSuccessBody: boolean, listener: OutcomeListener): void {
    this.pool.dispatch(
      {
        path: this.path,
        method: 'POST',
        body: entry.body,
        headers: ['content-type', 'application/json', 'idempotency-key', idempotencyKey],
      },
      new RequestHandler(wantSuccessBody, listener) as never,
    );
  }

  /** Waits for queued requests, then closes every connection. */
  close(): Promise<void> {
    return this.pool.close();
  }

  /** Aborts every request in flight; each reports an error outcome. */
  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}

/** The failure kind of a transport error, and whether the server may have acted on the request. */
export function classifyError(error: Error, sent: boolean): { kind: string; uncertain: boolean } {
  const code = (error as { code?: string }).code ?? '';

  switch (code) {
    case 'ECONNREFUSED':
      return { kind: 'connection refused', uncertain: false };
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { kind: 'connect timeout', uncertain: false };
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return { kind: 'timeout', uncertain: true };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return { kind: 'connection reset', uncertain: sent };
    case 'UND_ERR_ABORTED':
    case 'UND_ERR_DESTROYED':
    case 'UND_ERR_CLOSED':
      return { kind: 'aborted', uncertain: sent };
    default:
      return { kind: code === '' ? `error ${error.name}` : `error ${code}`, uncertain: sent };
  }
}
