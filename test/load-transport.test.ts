import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PoolEntry } from '../lib/load/pool.ts';
import { runLoad } from '../lib/load/run.ts';
import { poolRecords } from './helpers/load-server.ts';

const pool: PoolEntry[] = poolRecords(5).map((record, index) => ({ index, body: Buffer.from(JSON.stringify(record)), invalid: null }));
const TRANSPORTS = ['net', 'undici'] as const;
const servers: Array<Server | NetServer> = [];

async function http(handler: RequestListener, setup: (server: Server) => void = () => {}): Promise<{ url: string; connections: () => number }> {
  const server = createHttpServer((request, response) => {
    request.resume();
    request.on('end', () => handler(request, response));
  });
  setup(server);
  let connections = 0;
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notas`, connections: () => connections };
}

/** Starts a raw TCP server that sends `response` to each request in pieces of `pieceSize` bytes. */
async function raw(response: string, pieceSize: number): Promise<string> {
  const server = createNetServer((socket: Socket) => {
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const headEnd = buffered.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buffered)?.[1] ?? 0);
      if (buffered.length < headEnd + 4 + length) return;
      buffered = buffered.slice(headEnd + 4 + length);

      const bytes = Buffer.from(response, 'latin1');
      let offset = 0;
      const next = () => {
        if (offset >= bytes.length || socket.destroyed) return;
        socket.write(bytes.subarray(offset, offset + pieceSize));
        offset += pieceSize;
        setImmediate(next);
      };
      next();
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/notas`;
}

const Transport = suite('load transport');

Transport.after(async () => {
  for (const server of servers) {
    if ('closeAllConnections' in server) server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

for (const transport of TRANSPORTS) {
  Transport(`${transport}: chunked body`, async () => {
    const { url } = await http((request, response) => {
      response.setHeader('x-ruta', 'grpc');
      response.writeHead(201);
      response.write('{"id":');
      response.end(`"${request.headers['idempotency-key']}"}`);
    });
    const result = await runLoad({ url, pool, users: 2, requests: 20, transport });
    assert.is(result.unexpected, 0);
    assert.is(result.acknowledged.length, 20);
    assert.ok(result.acknowledged.every((ack) => ack.id === ack.key && ack.ruta === 'grpc'));
  });

  Transport(`${transport}: connection close`, async () => {
    const server = await http((_request, response) => {
      response.writeHead(201, { 'x-ruta': 'cache', connection: 'close' }).end('{"id":"a"}');
    });
    const result = await runLoad({ url: server.url, pool, users: 1, requests: 10, transport });
    assert.is(result.unexpected, 0);
    assert.is(result.summary.total.requests, 10);
    assert.is(server.connections(), 10);
  });

  Transport(`${transport}: 102 then 201`, async () => {
    const { url } = await http((_request, response) => {
      response.writeProcessing();
      response.writeHead(201, { 'x-ruta': 'grpc' }).end('{"id":"b"}');
    });
    const result = await runLoad({ url, pool, users: 1, requests: 5, transport });
    assert.is(result.unexpected, 0);
    assert.equal(result.acknowledged.map((ack) => ack.id), ['b', 'b', 'b', 'b', 'b']);
  });

  Transport(`${transport}: 204 without body`, async () => {
    const { url } = await http((_request, response) => {
      response.writeHead(204, { 'x-ruta': 'grpc' }).end();
    });
    const result = await runLoad({ url, pool, users: 2, requests: 10, transport });
    assert.is(result.unexpected, 0);
    assert.is(result.acknowledged.length, 10);
  });

  Transport(`${transport}: large error body`, async () => {
    const { url } = await http((_request, response) => {
      response.writeHead(500, { 'x-ruta': 'cache' }).end('x'.repeat(200_000));
    });
    const result = await runLoad({ url, pool, users: 1, requests: 3, transport });
    assert.is(result.summary.failures[0].kind, 'HTTP 500');
    assert.is(result.summary.failures[0].occurrences, 3);
    assert.is(result.summary.failures[0].sample.length, 200);
    assert.is(result.summary.total.meanContentBytes, 200_000);
  });

  Transport(`${transport}: byte-by-byte response`, async () => {
    const body = '{"id":"slow"}';
    const url = await raw(`HTTP/1.1 201 Created\r\nX-Ruta: cache\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 1);
    const result = await runLoad({ url, pool, users: 2, requests: 10, transport });
    assert.is(result.unexpected, 0);
    assert.ok(result.acknowledged.every((ack) => ack.id === 'slow' && ack.ruta === 'cache'));
  });

  Transport(`${transport}: chunked in pieces`, async () => {
    const url = await raw('HTTP/1.1 201 Created\r\nx-ruta: grpc\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n{"id":\r\n7\r\n"piece"\r\n1\r\n}\r\n0\r\n\r\n', 3);
    const result = await runLoad({ url, pool, users: 2, requests: 10, transport });
    assert.is(result.unexpected, 0);
    assert.ok(result.acknowledged.every((ack) => ack.id === 'piece'), JSON.stringify(result.acknowledged[0]));
  });

  Transport(`${transport}: reset mid-response is uncertain`, async () => {
    const { url } = await http((request, response) => {
      response.writeHead(201, { 'x-ruta': 'grpc', 'content-length': '100' });
      response.write('{"id":');
      setTimeout(() => request.socket.destroy(), 20);
    });
    const result = await runLoad({ url, pool, users: 1, requests: 2, transport });
    assert.is(result.summary.total.failures, 2);
    assert.is(result.uncertain.length, 2);
    assert.ok(['connection reset', 'aborted'].includes(result.uncertain[0].kind), result.uncertain[0].kind);
  });
}

Transport('net: keep-alive timeout retires connections', async () => {
  // Node advertises "Keep-Alive: timeout=1" here; with the one-second margin
  // every idle connection is already due, so each request opens a new one.
  const server = await http((_request, response) => {
    response.writeHead(201, { 'x-ruta': 'grpc' }).end('{"id":"k"}');
  }, (created) => {
    created.keepAliveTimeout = 1000;
  });
  const result = await runLoad({ url: server.url, pool, users: 1, requests: 5, transport: 'net' });
  assert.is(result.unexpected, 0);
  assert.is(server.connections(), 5);
});

Transport('net rejects https', async () => {
  try {
    await runLoad({ url: 'https://127.0.0.1:1/notas', pool, requests: 1, transport: 'net' });
    assert.unreachable('https with the net transport should be rejected');
  } catch (error) {
    assert.is((error as Error).message, 'the net transport supports http: only; use transport undici for https:');
  }
});

Transport.run();
