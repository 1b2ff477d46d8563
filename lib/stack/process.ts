/**
 * Child processes for the tests and the local stack. Each one runs in its own
 * process group with its own log file, counts as ready once a line of its
 * output matches, and is stopped with SIGTERM, then SIGKILL after a timeout.
 *
 * Every started process is registered, so `stopAll()` and the exit and signal
 * hooks below leave no orphans, including grandchildren such as the node
 * process that `npx tsx` starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

export interface StartProcessOptions<T> {
  /** Short name for messages, such as `redis` or `route-cache`. */
  name: string;
  command: string;
  args?: string[];
  cwd?: string;
  /** Environment of the child; defaults to this process's environment. */
  env?: Record<string, string | undefined>;
  /** File that receives the child's stdout and stderr; its folder is created. */
  logFile: string;
  /**
   * Called with each output line until it returns a value other than
   * `undefined`; that value becomes `ready`. Without it the process counts as
   * ready once spawned.
   */
  ready?: (line: string, stream: 'stdout' | 'stderr') => T | undefined;
  /** Time allowed to become ready, in milliseconds (default 15000). */
  readyTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping, in milliseconds (default 5000). */
  stopTimeoutMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess<T> {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** Value that the `ready` callback returned, such as a parsed port. */
  ready: T;
  /** Settles when the process exits, for any reason. */
  exited: Promise<ExitStatus>;
  /** Returns the last `lines` lines of output (default 30). */
  tail(lines?: number): string;
  /** Sends SIGTERM to the process group, then SIGKILL after `timeoutMs` (default `stopTimeoutMs`; 0 simulates a crash). */
  stop(timeoutMs?: number): Promise<ExitStatus>;
}

/** Error for a process that exited or timed out before it was ready; `message` ends with its log tail. */
export class ProcessStartError extends Error {
  readonly logFile: string;

  constructor(message: string, logFile: string) {
    super(message);
    this.name = 'ProcessStartError';
    this.logFile = logFile;
  }
}

const TAIL_LINES = 200;
const running = new Set<ChildProcess>();
let hooksInstalled = false;

/**
 * Starts a command in a new process group and waits until its output shows it
 * is ready. Rejects with a ProcessStartError that includes the log tail when
 * the process exits first or `readyTimeoutMs` passes, and kills it in the
 * timeout case.
 *
 * @example
 * const redis = await startProcess({
 *   name: 'redis', command: 'redis-server', args: ['--port', '0'], logFile: '/tmp/redis.log',
 *   ready: (line) => line.includes('Ready to accept connections') || undefined,
 * });
 * await redis.stop();
 */
export async function startProcess<T = true>(options: StartProcessOptions<T>): Promise<ManagedProcess<T>> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  installExitHooks();

  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const lines: string[] = [];

  const child = spawn(options.command, options.args ?? [], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // A new process group, so stop() reaches every descendant.
    detached: true,
  });

  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  const tail = (count = 30) => lines.slice(-count).join('\n');
  const readyValue = await waitUntilReady(child, options, log, lines, exited, readyTimeoutMs, stopTimeoutMs);

  let stopping = false;
  void exited.then((status) => {
    if (stopping) return;
    for (const listener of exitListeners) listener({ name: options.name, logFile: options.logFile, status, tail: tail() });
  });

  const managed: ManagedProcess<T> = {
    name: options.name,
    pid: child.pid as number,
    child,
    logFile: options.logFile,
    ready: readyValue,
    exited,
    tail,
    stop: (timeoutMs = stopTimeoutMs) => {
      stopping = true;
      return stopGroup(child, exited, timeoutMs);
    },
  };
  return managed;
}

/** A ready process that exited without a call to its `stop()`. */
export interface UnexpectedExit {
  name: string;
  logFile: string;
  status: ExitStatus;
  /** Its last 30 output lines. */
  tail: string;
}

const exitListeners = new Set<(exit: UnexpectedExit) => void>();

/**
 * Calls `listener` whenever a ready process ends on its own, such as a
 * database that crashed; returns a function that removes the listener.
 */
export function onUnexpectedExit(listener: (exit: UnexpectedExit) => void): () => void {
  exitListeners.add(listener);
  return () => exitListeners.delete(listener);
}

function waitUntilReady<T>(
  child: ChildProcess,
  options: StartProcessOptions<T>,
  log: WriteStream,
  lines: string[],
  exited: Promise<ExitStatus>,
  readyTimeoutMs: number,
  stopTimeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
    };

    const failure = (reason: string) =>
      new ProcessStartError(`${options.name} ${reason}; log ${options.logFile}, last lines:\n${lines.slice(-30).join('\n')}`, options.logFile);

    const timer = setTimeout(() => {
      settle(() => {
        void stopGroup(child, exited, stopTimeoutMs);
        reject(failure(`was not ready within ${readyTimeoutMs} ms`));
      });
    }, readyTimeoutMs);

    child.once('error', (error) => {
      settle(() => reject(failure(`failed to start: ${error.message}`)));
    });

    child.once('spawn', () => {
      running.add(child);
      if (options.ready === undefined) settle(() => resolve(true as T));
    });

    void exited.then((status) => {
      settle(() => reject(failure(`exited before it was ready (code ${status.code}, signal ${status.signal})`)));
      // The streams stay open until the pipes drain, so the log closes here.
      log.end();
    });

    const follow = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr') => {
      const reader = createInterface({ input: stream, crlfDelay: Infinity });
      reader.on('line', (line) => {
        log.write(`${line}\n`);
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();

        if (settled || options.ready === undefined) return;
        let value: T | undefined;
        try {
          value = options.ready(line, name);
        } catch (error) {
          // A parser that throws on a line it did not expect would otherwise be an uncaught exception.
          settle(() => {
            void stopGroup(child, exited, stopTimeoutMs);
            reject(failure(`readiness check failed on line ${JSON.stringify(line.slice(0, 200))}: ${(error as Error).message}`));
          });
          return;
        }
        if (value !== undefined) settle(() => resolve(value));
      });
    };
    follow(child.stdout as NodeJS.ReadableStream, 'stdout');
    follow(child.stderr as NodeJS.ReadableStream, 'stderr');
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch (error) {
    // ESRCH: the group is already gone.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function stopGroup(child: ChildProcess, exited: Promise<ExitStatus>, stopTimeoutMs: number): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) {
    // The leader is gone but a grandchild may still hold the group.
    signalGroup(child, 'SIGKILL');
    return exited;
  }

  if (stopTimeoutMs <= 0) {
    signalGroup(child, 'SIGKILL');
    return exited;
  }

  signalGroup(child, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), stopTimeoutMs);
  });

  const first = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (first === 'timeout') signalGroup(child, 'SIGKILL');
  const status = await exited;

  // Descendants that ignored SIGTERM after the leader exited.
  signalGroup(child, 'SIGKILL');
  return status;
}

/** Stops every process started by `startProcess` that is still running. */
export async function stopAll(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map((child) => {
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      return stopGroup(child, exited.then(() => ({ code: child.exitCode, signal: child.signalCode })), 5_000);
    }),
  );
}

// Children live in their own process groups, so a Ctrl-C on the terminal does
// not reach them. These hooks pass the end of this process on to them.
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;

  process.once('exit', () => {
    for (const child of running) signalGroup(child, 'SIGKILL');
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, function forwardSignal() {
      // A program with its own handler, such as the local stack draining its
      // load first, stops its children itself through stop().
      if (process.listenerCount(signal) > 1) return;

      // With no other handler, stop the children and keep the default
      // behaviour of ending this process.
      for (const child of running) signalGroup(child, 'SIGTERM');
      process.off(signal, forwardSignal);
      process.kill(process.pid, signal);
    });
  }
}

/**
 * Finds an executable: `override` when given (it must exist), else the first
 * `name` on PATH. Returns undefined when there is none.
 */
export function findExecutable(name: string, override?: string): string | undefined {
  if (override !== undefined && override !== '') return existsSync(override) ? override : undefined;

  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder === '') continue;
    const candidate = join(folder, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
