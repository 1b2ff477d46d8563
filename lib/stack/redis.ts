/**
 * A throw-away redis-server on 127.0.0.1 for the tests and the local stack:
 * no persistence, loopback only, its log in `dir`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { findExecutable, startProcess, type ManagedProcess } from './process.ts';

export interface StartRedisOptions {
  /** Folder for the log file and redis's working directory; created when missing. */
  dir: string;
  /** Port to bind; default a free one. */
  port?: number;
  /** redis-server binary; default REDIS_SERVER_BIN, else `redis-server` on PATH. */
  bin?: string;
  /** Name used in the log file name and messages (default `redis`). */
  name?: string;
}

export interface RedisInstance {
  /** Connection URL, such as redis://127.0.0.1:41873 */
  url: string;
  port: number;
  logFile: string;
  /** Stops the server: SIGTERM, then SIGKILL after `timeoutMs` (default 5000; 0 kills at once, like a crash). */
  stop(timeoutMs?: number): Promise<void>;
  /** Starts the server again on the same port, for recovery tests. */
  restart(): Promise<void>;
}

const INSTALL_HINT = 'redis-server not found: install it with `apt-get install redis-server` or set REDIS_SERVER_BIN to its path';
const BIND_ATTEMPTS = 3;

/**
 * Starts redis-server on a free loopback port and resolves once it accepts
 * connections.
 *
 * @example
 * const redis = await startRedis({ dir: '/tmp/notas-test' });
 * // redis.url === 'redis://127.0.0.1:41873'
 * await redis.stop();
 */
export async function startRedis(options: StartRedisOptions): Promise<RedisInstance> {
  const bin = findExecutable('redis-server', options.bin ?? process.env.REDIS_SERVER_BIN);
  if (bin === undefined) throw new Error(INSTALL_HINT);

  mkdirSync(options.dir, { recursive: true });
  const name = options.name ?? 'redis';
  const logFile = join(options.dir, `${name}.log`);

  let port = options.port ?? 0;
  let current: ManagedProcess<true> | undefined;

  const launch = (chosen: number) =>
    startProcess<true>({
      name,
      command: bin,
      args: redisArgs(chosen, options.dir),
      cwd: options.dir,
      logFile,
      ready: (line) => (line.includes('Ready to accept connections') ? true : undefined),
    });

  // A free port can be taken between the lookup and the bind, so a new one is
  // tried unless the caller fixed it.
  for (let attempt = 1; current === undefined; attempt += 1) {
    const chosen = options.port ?? (await freePort());
    try {
      current = await launch(chosen);
      port = chosen;
    } catch (error) {
      const inUse = error instanceof Error && /Address already in use/i.test(error.message);
      if (!inUse || options.port !== undefined || attempt >= BIND_ATTEMPTS) throw error;
    }
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    logFile,
    async stop(timeoutMs?: number) {
      await current?.stop(timeoutMs);
      current = undefined;
    },
    async restart() {
      await current?.stop();
      current = await launch(port);
    },
  };
}

function redisArgs(port: number, dir: string): string[] {
  return [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--protected-mode', 'yes',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--daemonize', 'no',
    // Empty logfile means stdout, which startProcess copies into logFile.
    '--logfile', '',
  ];
}
