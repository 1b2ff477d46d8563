/**
 * Runs the whole system on this machine without a cluster: starts Redis,
 * FerretDB, the gRPC writer, both routes and nginx as the 50/50 splitter,
 * drives a pool of records through it, then reconciles the databases with
 * what the routes acknowledged.
 *
 *   npm run local                       # 30 s of load, report, reconciliation
 *   npm run local -- --keep --state-file .tmp/stack.json
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { DURATION_FORM, createLiveView, formatReport, parseDuration, runLoad } from '../lib/load/index.ts';
import { POOL_DEFAULTS, formatPool, generatePool } from '../lib/pool.ts';
import { formatReconciliation, verifyStorage } from '../lib/reconcile.ts';
import { startLocalStack, type LocalStack } from '../lib/stack/local.ts';
import { onUnexpectedExit, stopAll } from '../lib/stack/process.ts';

const HELP = `Usage: npm run local -- [options]

Starts redis-server, FerretDB, route-grpc-server, route-grpc, route-cache and nginx
on loopback, runs a load through nginx, reconciles MongoDB and Redis with every
acknowledged request, and stops everything. Exit 0 when the run had no unexpected
failure and the reconciliation is exact, 1 otherwise, 2 for bad arguments.

Load:
  -t, --duration DURATION  load length, ${DURATION_FORM} (default 30s)
  -n, --requests N         stop after N requests instead
  -u, --users N            concurrent virtual users (default 32)
  -r, --spawn-rate N       users started per second (default 32)
  --pool FILE              pool file (default data/pool.json, generated when missing)
  --invalid-ratio R        generate a fresh pool with this fraction, 0 to 1, of invalid
                           records into the run folder and use it
  --no-load                start the stack only (use with --keep)
  --json FILE              write the load summary and the reconciliation as JSON

Stack:
  --port N                 ingress port (default 8080 when free, else any free port)
  --dir DIR                folder for logs and database files (default .tmp/local)
  --keep                   leave the stack running after the run until Ctrl-C
  --state-file FILE        write the stack's URLs as JSON (with --keep)
  MONGO_URL, REDIS_URL     environment: use these servers instead of starting FerretDB
                           and redis-server

  -h, --help               show this help
`;

class UsageError extends Error {}

interface LocalOptions {
  durationMs: number | null;
  requests: number | null;
  users: number;
  spawnRate: number;
  pool: string;
  invalidRatio: number | null;
  load: boolean;
  port: number | undefined;
  dir: string;
  keep: boolean;
  stateFile: string | null;
  json: string | null;
}

function positiveInteger(option: string, raw: string, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) {
    throw new UsageError(`invalid --${option} "${raw}": expected an integer from 1 to ${max}`);
  }
  return value;
}

function parseOptions(argv: string[]): LocalOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', short: 't' },
      requests: { type: 'string', short: 'n' },
      users: { type: 'string', short: 'u' },
      'spawn-rate': { type: 'string', short: 'r' },
      pool: { type: 'string' },
      'invalid-ratio': { type: 'string' },
      'no-load': { type: 'boolean' },
      port: { type: 'string' },
      dir: { type: 'string' },
      keep: { type: 'boolean' },
      'state-file': { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';

  let durationMs: number | null = 30_000;
  if (values.duration !== undefined) {
    const parsed = parseDuration(values.duration);
    if (parsed === undefined || parsed <= 0) throw new UsageError(`invalid --duration "${values.duration}": expected ${DURATION_FORM}`);
    durationMs = parsed;
  }

  const requests = values.requests === undefined ? null : positiveInteger('requests', values.requests, 100_000_000);
  if (requests !== null && values.duration === undefined) durationMs = null;

  let invalidRatio: number | null = null;
  if (values['invalid-ratio'] !== undefined) {
    invalidRatio = Number(values['invalid-ratio']);
    if (values['invalid-ratio'].trim() === '' || !(invalidRatio >= 0 && invalidRatio <= 1)) {
      throw new UsageError(`invalid --invalid-ratio "${values['invalid-ratio']}": expected a number from 0 to 1, such as 0.1`);
    }
  }

  if (values['state-file'] !== undefined && !values.keep) {
    throw new UsageError('--state-file needs --keep: the URLs it records are only valid while the stack runs');
  }

  const dir = resolve(values.dir ?? join('.tmp', 'local'));
  const users = values.users === undefined ? 32 : positiveInteger('users', values.users, 10_000);
  return {
    durationMs,
    requests,
    users,
    spawnRate: values['spawn-rate'] === undefined ? users : positiveInteger('spawn-rate', values['spawn-rate'], 10_000),
    pool: invalidRatio === null ? (values.pool ?? 'data/pool.json') : join(dir, 'pool.json'),
    invalidRatio,
    load: !values['no-load'],
    port: values.port === undefined ? undefined : positiveInteger('port', values.port, 65_535),
    dir,
    keep: values.keep ?? false,
    stateFile: values['state-file'] ?? null,
    json: values.json ?? null,
  };
}

function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, text);
  renameSync(partial, path);
}

function ensurePool(options: LocalOptions): void {
  if (options.invalidRatio !== null) {
    const entries = generatePool({ ...POOL_DEFAULTS, invalidRatio: options.invalidRatio });
    writeAtomically(options.pool, formatPool(entries));
    log(`pool       ${options.pool}: ${entries.length} records generated, invalid ratio ${options.invalidRatio}`);
    return;
  }
  if (existsSync(options.pool)) return;

  writeAtomically(options.pool, formatPool(generatePool(POOL_DEFAULTS)));
  log(`pool       ${options.pool}: ${POOL_DEFAULTS.count} records generated with seed ${POOL_DEFAULTS.seed}`);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const done = (signal: NodeJS.Signals) => resolveSignal(signal);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

async function runAndReconcile(stack: LocalStack, options: LocalOptions, stop: AbortController, force: AbortController): Promise<boolean> {
  log(`load       ${options.users} users, ${options.durationMs === null ? `${options.requests} requests` : `${options.durationMs / 1000} s`}, pool ${options.pool}`);

  const result = await runLoad({
    url: stack.ingress,
    pool: options.pool,
    users: options.users,
    spawnRate: options.spawnRate,
    durationMs: options.durationMs,
    requests: options.requests,
    expectSplit: stack.weights,
    signal: stop.signal,
    forceSignal: force.signal,
    onTick: createLiveView(process.stderr, 5_000),
  });
  process.stdout.write(`\n${formatReport(result.summary)}`);
  if (result.invalidRejected > 0) process.stdout.write(`invalid records rejected with 400 as expected: ${result.invalidRejected}\n`);

  const reconciliation = await verifyStorage({
    mongoUrl: stack.mongoUrl,
    redisUrl: stack.redisUrl,
    acknowledged: result.acknowledged,
    uncertain: result.uncertain,
    keyPrefix: `${result.summary.runId}:`,
  });
  process.stdout.write(`\n${formatReconciliation(reconciliation)}\n`);

  if (result.unexpected > 0) process.stdout.write(`\n${result.unexpected} requests failed unexpectedly\n`);
  if (options.json !== null) {
    const document = { summary: result.summary, invalidRejected: result.invalidRejected, unexpected: result.unexpected, reconciliation };
    writeAtomically(options.json, `${JSON.stringify(document, null, 2)}\n`);
  }
  return reconciliation.ok && result.unexpected === 0;
}

async function main(argv: string[]): Promise<number> {
  let options: LocalOptions | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`local: ${(error as Error).message}\nRun with --help for the options.\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return 0;
  }

  // The first Ctrl-C ends the load gracefully, or the start-up; a second one
  // also ends the requests in flight.
  const stop = new AbortController();
  const force = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      force.abort();
      return;
    }
    log(`\n${signal}: stopping (${signal} again aborts requests in flight)`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  ensurePool(options);

  // A crashed component is named at once, not discovered through failing requests.
  onUnexpectedExit((exit) => {
    log(`\n${exit.name} exited unexpectedly (code ${exit.status.code}, signal ${exit.status.signal}); log ${exit.logFile}, last lines:\n${exit.tail}`);
  });

  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({
      dir: options.dir,
      ingressPort: options.port,
      mongoUrl: process.env.MONGO_URL || undefined,
      redisUrl: process.env.REDIS_URL || undefined,
      onProgress: log,
    });
    if (stop.signal.aborted) return 130;

    let ok = true;
    if (options.load) ok = await runAndReconcile(stack, options, stop, force);

    if (options.keep && !stop.signal.aborted) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (options.stateFile !== null) {
        writeAtomically(options.stateFile, `${JSON.stringify(stack.state(), null, 2)}\n`);
        log(`state      ${options.stateFile}`);
      }
      log(`\nstack running; logs in ${stack.dir}. Try:\n  npx tsx scripts/load.ts --url ${stack.ingress} --duration 10s\nCtrl-C stops it.`);
      await waitForSignal();
    }
    return ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`local: ${(error as Error).message}\n`);
    return 1;
  } finally {
    if (stack !== undefined) {
      log('stopping the stack');
      await stack.stop();
    }
    await stopAll();
  }
}

process.exitCode = await main(process.argv.slice(2));
