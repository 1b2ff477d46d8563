import type { PoolEntry } from './pool.ts';

/** Result of one request, as the transport reports it. */
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
  /** True when the request had been handed to the socket before the error, so the server may have stored it. */
  sent: boolean;
}

export type OutcomeListener = (outcome: Outcome) => void;

/** HTTP client interface the runner sends through. */
export interface LoadTransport {
  /**
   * Sends one request, or queues it until a connection is free. `deadline`
   * is a performance.now() time: a request still queued then fails with
   * DEADLINE_CODE unsent, and one already sent fails as a headers timeout.
   * Null leaves only the per-phase timeout of TransportOptions.
   */
  send(entry: PoolEntry, idempotencyKey: string, wantSuccessBody: boolean, deadline: number | null, listener: OutcomeListener): void;
  /** Ends every request not yet written to a socket with a NOT_SENT_CODE error; requests already sent go on. */
  dropUnsent(): void;
  /** Aborts every request in flight, each reporting an error outcome, and closes the connections. */
  destroy(): Promise<void>;
}

/** Error code of a request dropped by dropUnsent() before it was written: not a failure, and not a latency sample. */
export const NOT_SENT_CODE = 'NOTAS_NOT_SENT';
/** Error code of a request whose deadline passed while it waited for a connection. */
export const DEADLINE_CODE = 'NOTAS_DEADLINE';

/** Interval, ms, at which queued requests are checked against their deadline, so their timeout fires at most this late (plus event-loop delay). */
export const DEADLINE_SWEEP_MS = 50;

export function errorWithCode(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

export interface TransportOptions {
  connections: number;
  /** Time to wait for response headers, and between body chunks, in ms. */
  timeoutMs: number;
}

/** Classifies a transport error into a failure kind, and tells whether the server may have acted on the request. */
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
    case DEADLINE_CODE:
      return { kind: 'timeout', uncertain: false };
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
