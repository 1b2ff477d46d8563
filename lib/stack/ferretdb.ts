/**
 * A throw-away FerretDB 1.24 (MongoDB wire protocol over SQLite) on
 * 127.0.0.1 for the tests and the local stack. Its SQLite files and log live
 * in `dir`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable, startProcess, type ManagedProcess } from './process.ts';

export interface StartFerretDBOptions {
  /** Folder for the SQLite files and the log file; created when missing. */
  dir: string;
  /** Port to bind; default a free one chosen by FerretDB. */
  port?: number;
  /** FerretDB binary; default FERRETDB_BIN, else `.bin/ferretdb` in the repository. */
  bin?: string;
  /** Name used in the log file name and messages (default `ferretdb`). */
  name?: string;
}

export interface FerretDBInstance {
  /** Connection URI as FerretDB prints it, such as mongodb://127.0.0.1:33541/ */
  url: string;
  port: number;
  logFile: string;
  /** Stops the server: SIGTERM, then SIGKILL after `timeoutMs` (default 5000; 0 kills at once, like a crash). */
  stop(timeoutMs?: number): Promise<void>;
  /** Starts the server again on the same port and data, for recovery tests. */
  restart(): Promise<void>;
}

const REPOSITORY_BINARY = fileURLToPath(new URL('../../.bin/ferretdb', import.meta.url));
const INSTALL_HINT = `FerretDB not found at ${REPOSITORY_BINARY}: build it with \`npm run setup:ferretdb\` (needs Go 1.24) or set FERRETDB_BIN to its path`;

/**
 * Starts FerretDB on a loopback port and resolves with the URI it prints on
 * the first line of stdout.
 *
 * @example
 * const mongo = await startFerretDB({ dir: '/tmp/notas-test/ferretdb' });
 * // mongo.url === 'mongodb://127.0.0.1:33541/'
 * await mongo.stop();
 */
export async function startFerretDB(options: StartFerretDBOptions): Promise<FerretDBInstance> {
  const bin = findExecutable('ferretdb', options.bin ?? process.env.FERRETDB_BIN ?? REPOSITORY_BINARY);
  if (bin === undefined) throw new Error(INSTALL_HINT);

  const dataDir = join(options.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const name = options.name ?? 'ferretdb';
  const logFile = join(options.dir, `${name}.log`);

  const launch = (port: number) =>
    startProcess<string>({
      name,
      command: bin,
      // The trailing slash matters: FerretDB treats the URI as a folder.
      args: ['--listen-addr', `127.0.0.1:${port}`, '--sqlite-url', `file:${dataDir}/`],
      cwd: options.dir,
      logFile,
      ready: (line, stream) => (stream === 'stdout' && line.startsWith('mongodb://') ? line.trim() : undefined),
    });

  let current: ManagedProcess<string> | undefined = await launch(options.port ?? 0);
  const url = current.ready;
  const port = Number(new URL(url).port);

  return {
    url,
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
