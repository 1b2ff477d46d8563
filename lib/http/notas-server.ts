/**
 * The HTTP API that both routes serve, identical so the 50/50 split is
 * invisible to clients: POST /notas, GET /healthz, /readyz and /metrics.
 * Each route supplies only a `NotasBackend` that stores a validated record.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.ts';
import { requestIdFrom } from '../log.ts';
import { IDEMPOTENCY_KEY_PATTERN, normalizeRecord, validateRecord, type NotaRecord } from '../record.ts';
import type { Ruta } from '../store/names.ts';
import { BODY_LIMIT_BYTES, isJsonContentType, parseJson, readBody } from './body.ts';
import {
  HttpError,
  internalError,
  invalidIdempotencyKey,
  invalidJson,
  invalidRecord,
  methodNotAllowed,
  notFound,
  payloadTooLarge,
  RETRY_AFTER_SECONDS,
  shuttingDown,
  unsupportedEncoding,
  unsupportedMediaType,
} from './errors.ts';
import { KNOWN_PATHS, type HttpMetrics } from './metrics.ts';

/** Time allowed to receive a request's headers, in milliseconds. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** Time allowed to receive a whole request, headers and body, in milliseconds. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** A started HTTP route: where it listens, its metrics, and how to drain and stop it. */
export interface RouteHandle {
  url: string;
  port: number;
  metrics: HttpMetrics;
  close(): Promise<void>;
}

export interface WriteResult {
  id: string;
  duplicate: boolean;
}

/** Storage of one route; the HTTP handling around it is shared. */
export interface NotasBackend {
  /**
   * Stores a validated record and resolves only after every write of the
   * route is acknowledged. Throws an HttpError for a known failure (503, 504),
   * anything else becomes a 500.
   */
  write(record: NotaRecord, idempotencyKey: string | undefined, log: Logger): Promise<WriteResult>;
  /** Checks each dependency; the value is `ok` or the reason it is not reachable. */
  readiness(): Promise<Record<string, string>>;
}

export interface NotasHttpOptions {
  ruta: Ruta;
  logger: Logger;
  metrics: HttpMetrics;
  backend: NotasBackend;
  bodyLimitBytes?: number;
}

export interface NotasHttpServer {
  server: Server;
  /** Makes /readyz fail and every later response close its connection, so the server can drain. */
  beginShutdown(): void;
}

type Handler = (request: IncomingMessage, response: ServerResponse, log: Logger) => Promise<Reply>;

interface Reply {
  status: number;
  body?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Record id, logged with the request. */
  id?: string;
}

/**
 * Creates the HTTP server of one route. Every response carries `x-ruta` and
 * `x-request-id`; errors have the body `{ error: { code, field, message, accepted } }`.
 */
export function createNotasHttpServer(options: NotasHttpOptions): NotasHttpServer {
  const { ruta, logger, metrics, backend } = options;
  const bodyLimitBytes = options.bodyLimitBytes ?? BODY_LIMIT_BYTES;
  let closing = false;

  const postNota: Handler = async function postNota(request, _response, log) {
    const contentType = request.headers['content-type'];
    if (!isJsonContentType(contentType)) throw unsupportedMediaType(contentType);

    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') throw unsupportedEncoding(encoding);

    const keyHeader = request.headers['idempotency-key'];
    const idempotencyKey = Array.isArray(keyHeader) ? keyHeader.join(', ') : keyHeader;
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw invalidIdempotencyKey(idempotencyKey);
    }

    const body = await readBody(request, bodyLimitBytes);
    if (!body.ok) {
      const error = payloadTooLarge(bodyLimitBytes);
      if (body.unread) error.headers.connection = 'close';
      throw error;
    }

    const parsed = parseJson(body.body);
    if (!parsed.ok) throw invalidJson(parsed.message);

    const validation = validateRecord(normalizeRecord(parsed.value));
    if (!validation.ok) throw invalidRecord(validation.error);

    log.debug({ record: validation.record, idempotencyKey }, 'record received');
    const result = await backend.write(validation.record, idempotencyKey, log);

    if (result.duplicate) return { status: 200, body: { id: result.id, ruta, duplicate: true }, id: result.id };
    return { status: 201, body: { id: result.id, ruta }, id: result.id };
  };

  const healthz: Handler = async function healthz() {
    return { status: 200, body: { status: 'ok' } };
  };

  const readyz: Handler = async function readyz() {
    if (closing) return { status: 503, body: { status: 'shutting down' }, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } };

    const checks = await backend.readiness();
    const ready = Object.values(checks).every((value) => value === 'ok');
    if (ready) return { status: 200, body: { status: 'ready', checks } };
    return { status: 503, body: { status: 'not ready', checks }, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } };
  };

  const metricsText: Handler = async function metricsText() {
    return { status: 200, text: await metrics.registry.metrics(), contentType: metrics.registry.contentType };
  };

  const routes: Record<string, Record<string, Handler>> = {
    '/notas': { POST: postNota },
    '/healthz': { GET: healthz, HEAD: healthz },
    '/readyz': { GET: readyz, HEAD: readyz },
    '/metrics': { GET: metricsText, HEAD: metricsText },
  };

  // A client that sends headers or a body too slowly gets a 408 instead of
  // holding a connection for Node's default of 300 s.
  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, function handleRequest(request, response) {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(request.headers['x-request-id']);
    const log = logger.child({ reqId: requestId });
    const path = pathOf(request.url);
    const method = request.method ?? 'GET';
    let reply: Reply | undefined;
    let errorCode: string | undefined;

    response.setHeader('x-ruta', ruta);
    response.setHeader('x-request-id', requestId);

    response.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const labels = { ruta, method, path: KNOWN_PATHS.has(path) ? path : 'other', status: String(response.statusCode) };
      metrics.requests.inc(labels);
      metrics.duration.observe(labels, seconds);

      const fields = { method, path, status: response.statusCode, responseTime: Math.round(seconds * 1e4) / 10, id: reply?.id, error: errorCode };
      if (path === '/notas') log.info(fields, 'request completed');
      else log.debug(fields, 'request completed');
    });

    const run = async (): Promise<Reply> => {
      if (closing && path === '/notas') throw shuttingDown();

      const handlers = routes[path];
      if (handlers === undefined) throw notFound(path);

      const handler = handlers[method];
      if (handler === undefined) throw methodNotAllowed(method, path, Object.keys(handlers));

      return handler(request, response, log);
    };

    run()
      .catch((error: unknown) => {
        const httpError = toHttpError(error, log);
        errorCode = httpError.code;
        return { status: httpError.status, body: httpError.toBody(), headers: httpError.headers };
      })
      .then((result) => {
        reply = result;
        send(response, result, closing, method === 'HEAD');
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'response failed');
        response.destroy();
      });
  });

  // Node responds to malformed requests (bad syntax, oversized headers) by
  // itself and without x-ruta, so this handler sends the usual error body.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }

    let status = 400;
    if (error.code === 'HPE_HEADER_OVERFLOW') status = 431;
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') status = 408;
    const body = JSON.stringify(new HttpError(status, 'bad_request', `malformed HTTP request (${error.code ?? 'unknown'})`).toBody());
    logger.debug({ err: error, status }, 'malformed request');
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `x-ruta: ${ruta}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  return {
    server,
    beginShutdown() {
      closing = true;
    },
  };
}

function toHttpError(error: unknown, log: Logger): HttpError {
  if (error instanceof HttpError) return error;
  log.error({ err: error }, 'request failed');
  return internalError();
}

function send(response: ServerResponse, reply: Reply, closing: boolean, headOnly: boolean): void {
  if (response.headersSent || response.destroyed) return;

  const payload = reply.text ?? JSON.stringify(reply.body ?? {});
  const headers: Record<string, string | number> = {
    'content-type': reply.contentType ?? 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...reply.headers,
  };
  if (closing) headers.connection = 'close';

  response.writeHead(reply.status, headers);
  response.end(headOnly ? undefined : payload);
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query === -1 ? raw : raw.slice(0, query);
}
