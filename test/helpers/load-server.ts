import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateRecord } from '../../lib/record.ts';

export interface FakeNotasOptions {
  /** Respond 503 to every Nth request (20 gives exactly 5%). */
  failEvery?: number;
  /** When request number `stallAt` arrives, delay every response for `stallMs`, once. */
  stallAt?: number;
  stallMs?: number;
  /** Never respond to request number `hangAt`, so the client must time out. */
  hangAt?: number;
  /** Delay every response by this many ms, so a high rate overloads the server. */
  delayMs?: number;
}

export interface FakeNotas {
  url: string;
  /** Idempotency keys received, in order. */
  keys: string[];
  close(): Promise<void>;
}

/**
 * Starts a stand-in for the notas ingress on 127.0.0.1. It validates records
 * with the shared validator, alternates `x-ruta` between grpc and cache so the
 * split is exactly 50/50, and responds like the routes do.
 */
export async function startFakeNotas(options: FakeNotasOptions = {}): Promise<FakeNotas> {
  const keys: string[] = [];
  const hung: ServerResponse[] = [];
  let received = 0;
  let stalledUntil = 0;

  const respond = (request: IncomingMessage, response: ServerResponse, body: string, number: number) => {
    const ruta = number % 2 === 0 ? 'grpc' : 'cache';
    const key = String(request.headers['idempotency-key'] ?? '');
    response.setHeader('x-ruta', ruta);
    response.setHeader('content-type', 'application/json');

    if (options.failEvery !== undefined && number % options.failEvery === 0) {
      response.writeHead(503, { 'retry-after': '1' }).end(JSON.stringify({ error: { code: 'unavailable', field: null, message: 'writer unavailable' } }));
      return;
    }

    let record: unknown;
    try {
      record = JSON.parse(body);
    } catch {
      response.writeHead(400).end(JSON.stringify({ error: { code: 'invalid_body', field: null, message: 'body is not JSON' } }));
      return;
    }
    const result = validateRecord(record);
    if (!result.ok) {
      response.writeHead(400).end(JSON.stringify({ error: result.error }));
      return;
    }
    response.writeHead(201).end(JSON.stringify({ id: key, ruta }));
  };

  const server: Server = createServer((request, response) => {
    received++;
    const number = received;
    keys.push(String(request.headers['idempotency-key'] ?? ''));

    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (number === options.hangAt) {
        hung.push(response);
        return;
      }
      if (number === options.stallAt) stalledUntil = Date.now() + (options.stallMs ?? 1000);

      const waitMs = Math.max(stalledUntil - Date.now(), options.delayMs ?? 0);
      const body = Buffer.concat(chunks).toString('utf8');
      if (waitMs > 0) setTimeout(() => respond(request, response, body, number), waitMs);
      else respond(request, response, body, number);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/notas`,
    keys,
    close: async () => {
      for (const response of hung) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Builds a small valid pool, plus `invalid` records with nota 101 marked invalid. */
export function poolRecords(valid: number, invalid = 0): Array<Record<string, unknown>> {
  const records: Array<Record<string, unknown>> = [];
  for (let i = 0; i < valid; i++) {
    records.push({ carnet: 201900000 + i, nombre: `Estudiante ${i} Núñez`, curso: 'SO1', nota: i % 101, semestre: i % 2 === 0 ? '1S' : '2S', year: 2024 });
  }
  for (let i = 0; i < invalid; i++) {
    records.push({ carnet: 202000000 + i, nombre: 'Inválido', curso: 'SO1', nota: 101, semestre: '1S', year: 2024, _invalid: 'nota above 100' });
  }
  return records;
}
