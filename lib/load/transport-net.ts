import { connect, type Socket } from 'node:net';
import type { PoolEntry } from './pool.ts';
import {
  DEADLINE_CODE,
  DEADLINE_SWEEP_MS,
  NOT_SENT_CODE,
  errorWithCode,
  type LoadTransport,
  type OutcomeListener,
  type TransportOptions,
} from './transport.ts';

/**
 * A minimal HTTP/1.1 client on node:net for the one request this tool sends:
 * `POST` of a small JSON body on keep-alive connections, one request at a
 * time per connection. It writes head and body in one call and parses only
 * what the report needs (status, x-ruta, Content-Length or chunked framing).
 * Against nginx on loopback it used under half the CPU per request of
 * undici's dispatch interface (docs/benchmarks.md).
 *
 * NOTE: http: only (https: URLs use the undici transport), no pipelining,
 * no trailers kept, no automatic retries: every request is sent once.
 */
export class NetTransport implements LoadTransport {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  readonly headPrefix: string;
  readonly idle: NetConnection[] = [];
  readonly all = new Set<NetConnection>();
  readonly queue: PendingRequest[] = [];
  queueHead = 0;
  sweeper: NodeJS.Timeout | undefined;
  destroyed = false;
  // Bodies as latin1 strings, so head and body go out in one string write
  // with the body's UTF-8 bytes unchanged.
  readonly latin1Bodies = new WeakMap<PoolEntry, string>();

  constructor(url: URL, options: TransportOptions) {
    if (url.protocol !== 'http:') throw new Error(`the net transport supports http: only, got ${url.protocol}`);
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port || 80);
    this.timeoutMs = options.timeoutMs;
    this.maxConnections = options.connections;
    this.headPrefix = `POST ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\nidempotency-key: `;
  }

  send(entry: PoolEntry, idempotencyKey: string, wantSuccessBody: boolean, deadline: number | null, listener: OutcomeListener): void {
    let body = this.latin1Bodies.get(entry);
    if (body === undefined) {
      body = entry.body.toString('latin1');
      this.latin1Bodies.set(entry, body);
    }
    const request: PendingRequest = {
      payload: `${this.headPrefix}${idempotencyKey}\r\ncontent-length: ${entry.body.length}\r\n\r\n${body}`,
      wantSuccessBody,
      deadline,
      listener,
    };

    if (this.destroyed) {
      listener(failure(errorWithCode('UND_ERR_DESTROYED', 'transport destroyed'), false));
      return;
    }
    if (deadline !== null && deadline <= performance.now()) {
      listener(failure(this.deadlineError(), false));
      return;
    }

    const connection = this.takeIdle() ?? (this.all.size < this.maxConnections ? this.open() : undefined);
    if (connection !== undefined) {
      connection.start(request);
      return;
    }
    this.queue.push(request);
    if (deadline !== null && this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.expireQueued(), DEADLINE_SWEEP_MS);
      this.sweeper.unref();
    }
  }

  deadlineError(): Error {
    return errorWithCode(DEADLINE_CODE, `not sent within ${this.timeoutMs} ms of the scheduled send time: every connection was busy`);
  }

  /** Takes the next queued request, or undefined when the queue is empty. */
  shiftQueue(): PendingRequest | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const next = this.queue[this.queueHead];
    this.queueHead++;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return next;
  }

  /**
   * Fails queued requests whose deadline has passed. The runner issues
   * requests in the order of their scheduled times, so deadlines rise along
   * the queue and the scan stops at the first one still in time.
   */
  expireQueued(): void {
    const now = performance.now();
    while (this.queueHead < this.queue.length) {
      const head = this.queue[this.queueHead];
      if (head.deadline === null || head.deadline > now) return;
      this.shiftQueue();
      head.listener(failure(this.deadlineError(), false));
    }
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Returns an idle connection the server will not close under the request, if any. */
  takeIdle(): NetConnection | undefined {
    const now = performance.now();
    let connection = this.idle.pop();
    while (connection !== undefined && connection.expiresAt <= now) {
      connection.abort(errorWithCode('UND_ERR_SOCKET', 'keep-alive timeout'));
      connection = this.idle.pop();
    }
    return connection;
  }

  open(): NetConnection {
    const connection = new NetConnection(this);
    this.all.add(connection);
    return connection;
  }

  /** Hands the connection the next queued request still within its deadline, or parks it as idle. */
  release(connection: NetConnection): void {
    this.expireQueued();
    const next = this.shiftQueue();
    if (next !== undefined) connection.start(next);
    else this.idle.push(connection);
  }

  forget(connection: NetConnection): void {
    this.all.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index >= 0) this.idle.splice(index, 1);
  }

  dropUnsent(): void {
    const notSent = errorWithCode(NOT_SENT_CODE, 'dropped unsent when the run stopped');
    const queued = this.queue.slice(this.queueHead);
    this.queue.length = 0;
    this.queueHead = 0;
    clearInterval(this.sweeper);
    this.sweeper = undefined;

    // A connection still connecting has not written its request either.
    for (const connection of [...this.all]) {
      if (connection.request !== null && !connection.sent) connection.abort(notSent);
    }
    for (const request of queued) request.listener(failure(notSent, false));
  }

  destroy(): Promise<void> {
    this.destroyed = true;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    const aborted = errorWithCode('UND_ERR_DESTROYED', 'transport destroyed');
    for (const connection of [...this.all]) connection.abort(aborted);
    const queued = this.queue.slice(this.queueHead);
    this.queue.length = 0;
    this.queueHead = 0;
    for (const request of queued) request.listener(failure(aborted, false));
    return Promise.resolve();
  }
}

interface PendingRequest {
  payload: string;
  wantSuccessBody: boolean;
  /** performance.now() time by which the whole response must have arrived, or null. */
  deadline: number | null;
  listener: OutcomeListener;
}

const HEAD_END = Buffer.from('\r\n\r\n');
// Shared by every connection: each read is parsed before the next one lands.
const READ_BUFFER = Buffer.alloc(64 * 1024);
const CRLF = Buffer.from('\r\n');
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 64 * 1024;
// A connection is retired this long before the keep-alive timeout a server
// advertises (Keep-Alive: timeout=N), so a request does not race the server
// closing it. Servers that advertise nothing are not covered.
const KEEP_ALIVE_MARGIN_MS = 1000;

type Phase = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'trailer' | 'until-close';

class NetConnection {
  readonly transport: NetTransport;
  socket: Socket | null = null;
  connected = false;
  request: PendingRequest | null = null;
  sent = false;
  /** True while the socket timeout is a request's remaining time rather than the transport's timeoutMs. */
  deadlineArmed = false;

  // Response parser state.
  pending: Buffer | null = null;
  phase: Phase = 'head';
  status = 0;
  route = 'unknown';
  keepAlive = true;
  /** performance.now() after which the server may close the idle connection. */
  expiresAt = Infinity;
  remaining = 0;
  bytes = 0;
  chunks: Buffer[] | null = null;

  constructor(transport: NetTransport) {
    this.transport = transport;
  }

  start(request: PendingRequest): void {
    this.request = request;
    this.sent = false;
    this.resetParser();

    if (this.socket === null) {
      this.connect();
      return;
    }
    this.write();
  }

  connect(): void {
    // onread hands each read to the callback in one reused buffer, skipping the
    // stream machinery and a Buffer allocation per read. Anything kept past
    // the callback is therefore copied (see keep() and the pending copies).
    const socket = connect({
      host: this.transport.host,
      port: this.transport.port,
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes: number, buffer: Uint8Array) => {
          this.onData(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
          return true;
        },
      },
    });
    this.socket = socket;
    this.connected = false;
    socket.setNoDelay(true);
    this.deadlineArmed = false;
    this.armTimeout(socket);
    socket.on('connect', () => {
      this.connected = true;
      if (this.request !== null) this.write();
    });
    socket.on('timeout', () => this.onTimeout());
    socket.on('error', (error: Error) => this.onSocketGone(error));
    socket.on('close', () => this.onSocketGone(null));
  }

  write(): void {
    this.sent = true;
    this.armTimeout(this.socket!);
    this.socket!.write(this.request!.payload, 'latin1');
  }

  /**
   * Sets the socket's inactivity timeout to the request's remaining time
   * when it has a deadline. Responses here are small and arrive in one or
   * two reads, so in practice it also bounds the whole response.
   */
  armTimeout(socket: Socket): void {
    const deadline = this.request?.deadline ?? null;
    if (deadline !== null) {
      const remaining = Math.min(this.transport.timeoutMs, deadline - performance.now());
      socket.setTimeout(Math.max(1, remaining));
      this.deadlineArmed = true;
      return;
    }
    if (this.deadlineArmed || !this.connected) {
      socket.setTimeout(this.transport.timeoutMs);
      this.deadlineArmed = false;
    }
  }

  resetParser(): void {
    this.pending = null;
    this.phase = 'head';
    this.status = 0;
    this.route = 'unknown';
    this.keepAlive = true;
    this.remaining = 0;
    this.bytes = 0;
    this.chunks = null;
  }

  onTimeout(): void {
    if (this.request === null) return;
    const since = this.request.deadline === null ? '' : ' of the scheduled send time';
    const error = this.connected
      ? errorWithCode('UND_ERR_HEADERS_TIMEOUT', `no response within ${this.transport.timeoutMs} ms${since}`)
      : errorWithCode('UND_ERR_CONNECT_TIMEOUT', `no connection within ${this.transport.timeoutMs} ms`);
    this.abort(error);
  }

  onSocketGone(error: Error | null): void {
    const socket = this.socket;
    this.socket = null;
    this.connected = false;
    socket?.destroy();

    if (this.request !== null) {
      if (this.phase === 'until-close' && error === null) {
        this.complete();
        return;
      }
      this.fail(error ?? errorWithCode('UND_ERR_SOCKET', 'connection closed before the response completed'));
      return;
    }
    this.transport.forget(this);
  }

  /** Ends the request in progress with `error` and drops the connection. */
  abort(error: Error): void {
    const socket = this.socket;
    this.socket = null;
    this.connected = false;
    socket?.destroy();
    if (this.request !== null) this.fail(error);
    else this.transport.forget(this);
  }

  fail(error: Error): void {
    const request = this.request!;
    this.request = null;
    this.transport.forget(this);
    request.listener(failure(error, this.sent));
  }

  onData(chunk: Buffer): void {
    if (this.request === null) return;
    let data = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;

    while (this.request !== null && data.length > 0) {
      const rest = this.parse(data);
      if (rest === null) return;
      data = rest;
    }
  }

  /** Consumes what it can of `data`; returns the unconsumed rest, or null to wait for more. */
  parse(data: Buffer): Buffer | null {
    switch (this.phase) {
      case 'head':
        return this.parseHead(data);
      case 'length':
        return this.takeBody(data, () => this.complete());
      case 'chunk-size':
        return this.parseChunkSize(data);
      case 'chunk-data':
        return this.takeBody(data, () => {
          this.phase = 'chunk-size';
          this.remaining = -1;
        });
      case 'trailer':
        return this.parseTrailer(data);
      case 'until-close':
        this.keep(data);
        return Buffer.alloc(0);
    }
  }

  parseHead(data: Buffer): Buffer | null {
    const end = data.indexOf(HEAD_END);
    if (end < 0) {
      if (data.length > MAX_HEAD_BYTES) this.abort(errorWithCode('NOTAS_BAD_RESPONSE', 'response head larger than 64 KiB'));
      else this.pending = Buffer.from(data);
      return null;
    }

    const head = data.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    if (!head.startsWith('HTTP/1.') || !Number.isInteger(status)) {
      this.abort(errorWithCode('NOTAS_BAD_RESPONSE', `not an HTTP/1.x response: ${JSON.stringify(head.slice(0, 40))}`));
      return null;
    }

    const rest = data.subarray(end + 4);
    if (status < 200) return rest;

    this.status = status;
    this.readHeaders(head);
    const success = status >= 200 && status < 300;
    if (!success || this.request!.wantSuccessBody) this.chunks = [];

    const empty = status === 204 || status === 304 || (this.phase === 'length' && this.remaining === 0);
    if (empty) this.complete();
    return rest;
  }

  readHeaders(head: string): void {
    const lower = head.toLowerCase();
    let chunked = false;
    let length = -1;

    for (let start = lower.indexOf('\r\n') + 2; start > 1 && start < lower.length;) {
      let end = lower.indexOf('\r\n', start);
      if (end < 0) end = lower.length;
      const colon = lower.indexOf(':', start);
      // Only names of these lengths can matter; the rest are skipped unsliced.
      const nameLength = colon - start;
      const wanted = nameLength === 6 || nameLength === 10 || nameLength === 14 || nameLength === 17;
      if (wanted && colon < end) {
        const name = lower.slice(start, colon);
        if (name === 'content-length') length = Number(lower.slice(colon + 1, end).trim());
        else if (name === 'transfer-encoding') chunked = lower.slice(colon + 1, end).includes('chunked');
        else if (name === 'connection') this.keepAlive = !lower.slice(colon + 1, end).includes('close');
        else if (name === 'keep-alive') this.readKeepAlive(lower.slice(colon + 1, end));
        else if (name === 'x-ruta') this.route = head.slice(colon + 1, end).trim() || 'unknown';
      }
      start = end + 2;
    }

    if (chunked) {
      this.phase = 'chunk-size';
    } else if (length >= 0) {
      this.phase = 'length';
      this.remaining = length;
    } else {
      this.phase = 'until-close';
      this.keepAlive = false;
    }
  }

  readKeepAlive(value: string): void {
    const match = /timeout\s*=\s*(\d+)/.exec(value);
    if (match !== null) this.expiresAt = performance.now() + Number(match[1]) * 1000 - KEEP_ALIVE_MARGIN_MS;
  }

  takeBody(data: Buffer, onDone: () => void): Buffer | null {
    if (data.length < this.remaining) {
      this.keep(data);
      this.remaining -= data.length;
      return null;
    }
    this.keep(data.subarray(0, this.remaining));
    const rest = data.subarray(this.remaining);
    this.remaining = 0;
    onDone();
    return rest;
  }

  parseChunkSize(data: Buffer): Buffer | null {
    // remaining === -1 means the CRLF after a chunk's data is still due.
    let start = 0;
    if (this.remaining === -1) {
      if (data.length < 2) {
        this.pending = Buffer.from(data);
        return null;
      }
      start = 2;
      this.remaining = 0;
    }

    const lineEnd = data.indexOf(CRLF, start);
    if (lineEnd < 0) {
      this.pending = Buffer.from(data.subarray(start));
      return null;
    }
    const size = parseInt(data.toString('latin1', start, lineEnd), 16);
    if (!Number.isFinite(size)) {
      this.abort(errorWithCode('NOTAS_BAD_RESPONSE', 'invalid chunk size in a chunked response'));
      return null;
    }
    this.phase = size === 0 ? 'trailer' : 'chunk-data';
    this.remaining = size;
    return data.subarray(lineEnd + 2);
  }

  parseTrailer(data: Buffer): Buffer | null {
    // Trailers end with an empty line; without trailers that line comes at once.
    if (data.length >= 2 && data[0] === 13 && data[1] === 10) {
      this.complete();
      return data.subarray(2);
    }
    const end = data.indexOf(HEAD_END);
    if (end < 0) {
      this.pending = Buffer.from(data);
      return null;
    }
    this.complete();
    return data.subarray(end + 4);
  }

  keep(data: Buffer): void {
    this.bytes += data.length;
    if (this.chunks !== null && this.bytes <= MAX_BODY_BYTES) this.chunks.push(Buffer.from(data));
  }

  complete(): void {
    const request = this.request!;
    const body = this.chunks === null ? null : Buffer.concat(this.chunks).toString('utf8');
    const outcome = { status: this.status, route: this.route, body, bytes: this.bytes, error: null, sent: true };
    this.request = null;

    if (!this.keepAlive || this.socket === null) {
      const socket = this.socket;
      this.socket = null;
      socket?.destroy();
      this.transport.forget(this);
    } else {
      this.transport.release(this);
    }
    request.listener(outcome);
  }
}

function failure(error: Error, sent: boolean) {
  return { status: 0, route: 'unknown', body: null, bytes: 0, error, sent };
}
