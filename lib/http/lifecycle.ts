/**
 * Start and stop of a process's servers: bind with a clear error, drain on
 * shutdown, and run an entry file only when it is the main module.
 */
import { realpathSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.ts';

/** Address of a bound server; `url` uses 127.0.0.1 when bound to every interface. */
export interface BoundAddress {
  port: number;
  url: string;
}

/** Binds the server and resolves with the port, rejecting on a bind error such as EADDRINUSE. */
export function listen(server: Server, port: number, host: string): Promise<BoundAddress> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(new Error(`listen on ${host}:${port} failed: ${error.message}`, { cause: error }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      resolve({ port: bound, url: `http://${urlHost(host)}:${bound}` });
    });
  });
}

/** Host for a URL that reaches a server bound to `host`. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Stops accepting connections and waits for in-flight requests. After
 * `timeoutMs` the remaining connections are cut; resolves false in that case.
 */
export function closeServer(server: Server, timeoutMs: number, log: Logger): Promise<boolean> {
  if (!server.listening) return Promise.resolve(true);

  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      log.warn({ timeoutMs }, 'shutdown timed out, closing open connections');
      server.closeAllConnections();
      resolve(false);
    }, timeoutMs);

    server.close(() => {
      clearTimeout(timer);
      resolve(true);
    });
    // Keep-alive connections with no request in flight would hold close() open.
    server.closeIdleConnections();
  });
}

/**
 * Tells whether the module with this `import.meta` is the program's entry
 * point: `import.meta.main` on Deno and newer Node, else a comparison with
 * process.argv[1] (tsx, Node 20).
 */
export function isMainModule(meta: ImportMeta): boolean {
  const main = (meta as ImportMeta & { main?: boolean }).main;
  if (typeof main === 'boolean') return main;

  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(meta.url));
  } catch {
    return false;
  }
}
