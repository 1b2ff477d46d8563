import { Pool } from 'undici';
import type { PoolEntry } from './pool.ts';
import {
  DEADLINE_CODE,
  DEADLINE_SWEEP_MS,
  NOT_SENT_CODE,
  errorWithCode,
  type LoadTransport,
  type Outcome,
  type OutcomeListener,
  type TransportOptions,
} from './transport.ts';

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
  /** True once the listener has been called; later callbacks from undici are ignored. */
  reported = false;
  chunks: Buffer[] | null = null;
  deadlineTimer: NodeJS.Timeout | undefined;
  readonly transport: UndiciTransport;
  readonly wantSuccessBody: boolean;
  readonly deadline: number | null;
  readonly listener: OutcomeListener;

  constructor(transport: UndiciTransport, wantSuccessBody: boolean, deadline: number | null, listener: OutcomeListener) {
    this.transport = transport;
    this.wantSuccessBody = wantSuccessBody;
    this.deadline = deadline;
    this.listener = listener;
  }

  /** Called by undici just before it writes the request. */
  onConnect(abort: (error: Error) => void): void {
    this.transport.unsent.delete(this);
    if (this.reported) {
      // Dropped or expired while queued. Aborting also closes this
      // connection, because undici offers no way to take a request back out
      // of its queue.
      abort(errorWithCode(NOT_SENT_CODE, 'dropped unsent'));
      return;
    }
    if (this.deadline === null) return;

    // NOTE: undici's queue is first in, first out, so under sustained
    // overload a queued request can go out with only milliseconds left and
    // time out after sending, which makes it uncertain. The net transport
    // gives a newly opened connection the newest request instead.
    const remaining = this.deadline - performance.now();
    if (remaining <= 0) {
      abort(this.transport.deadlineError());
      return;
    }
    const timeout = errorWithCode('UND_ERR_HEADERS_TIMEOUT', `no response within ${this.transport.timeoutMs} ms of the scheduled send time`);
    this.deadlineTimer = setTimeout(() => abort(timeout), remaining);
  }

  report(outcome: Outcome): void {
    clearTimeout(this.deadlineTimer);
    if (this.reported) return;
    this.reported = true;
    this.transport.unsent.delete(this);
    this.listener(outcome);
  }

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
    this.report({ status: this.status, route: this.route, body, bytes: this.bytes, error: null, sent: true });
  }

  onError(error: Error): void {
    this.report({ status: 0, route: 'unknown', body: null, bytes: this.bytes, error, sent: this.sent });
  }
}

/** Sends pool records as `POST` requests over undici's keep-alive connection pool. */
export class UndiciTransport implements LoadTransport {
  readonly pool: Pool;
  readonly path: string;
  readonly timeoutMs: number;
  /** Requests undici has not started writing, in dispatch order. */
  readonly unsent = new Set<RequestHandler>();
  sweeper: NodeJS.Timeout | undefined;

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

  send(entry: PoolEntry, idempotencyKey: string, wantSuccessBody: boolean, deadline: number | null, listener: OutcomeListener): void {
    const handler = new RequestHandler(this, wantSuccessBody, deadline, listener);
    this.unsent.add(handler);
    if (deadline !== null && this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.expireUnsent(), DEADLINE_SWEEP_MS);
      this.sweeper.unref();
    }
    this.pool.dispatch(
      {
        path: this.path,
        method: 'POST',
        body: entry.body,
        headers: ['content-type', 'application/json', 'idempotency-key', idempotencyKey],
      },
      handler as never,
    );
  }

  deadlineError(): Error {
    return errorWithCode(DEADLINE_CODE, `not sent within ${this.timeoutMs} ms of the scheduled send time: every connection was busy`);
  }

  /** Fails unsent requests whose deadline has passed. Deadlines rise in dispatch order, so the scan stops at the first one still in time. */
  expireUnsent(): void {
    const now = performance.now();
    for (const handler of this.unsent) {
      if (handler.deadline === null || handler.deadline > now) return;
      handler.report(failure(this.deadlineError()));
    }
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  dropUnsent(): void {
    const notSent = errorWithCode(NOT_SENT_CODE, 'dropped unsent when the run stopped');
    for (const handler of [...this.unsent]) handler.report(failure(notSent));
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Waits for queued requests, then closes every connection. */
  close(): Promise<void> {
    return this.pool.close();
  }

  /** Aborts every request in flight; each reports an error outcome. */
  destroy(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    return this.pool.destroy();
  }
}

function failure(error: Error): Outcome {
  return { status: 0, route: 'unknown', body: null, bytes: 0, error, sent: false };
}
