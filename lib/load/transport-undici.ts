import { Pool } from 'undici';
import type { PoolEntry } from './pool.ts';
import type { LoadTransport, OutcomeListener, TransportOptions } from './transport.ts';

// Keep response bodies of failures short: they only feed the failure sample.
const MAX_BODY_BYTES = 64 * 1024;
const ROUTE_HEADER = 'x-ruta';

/**
 * One handler object per request on undici's raw dispatch interface, which
 * skips the stream and promise of `request()` and so costs about a fifth
 * less CPU per request.
 *
 * NOTE: uses the onConnect/onHeaders/onData/onComplete handler methods, which
 * undici 7 marks deprecated in its types. Its HTTP/1.1 client calls them
 * directly and adapts the newer methods onto them. They are also the only
 * ones that report when the request body was fully written.
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
