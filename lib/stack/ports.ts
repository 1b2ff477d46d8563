import { createServer } from 'node:net';

/**
 * Asks the OS for a free TCP port on 127.0.0.1 by binding port 0 and closing
 * the listener again.
 *
 * NOTE: another process can take the port between this call and its use, so
 * callers that bind it later retry on "address in use".
 *
 * @example
 * const port = await freePort(); // e.g. 41873
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`free port lookup failed: unexpected address ${String(address)}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
