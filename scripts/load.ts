/**
 * Load generator for the notas API: POSTs pool records with an
 * Idempotency-Key each, reports latency per route from `x-ruta`, checks the
 * split and thresholds, and writes Locust-compatible CSV, JSON and HTML.
 *
 *   npx tsx scripts/load.ts --users 32 --duration 1m --csv out/run --html out/run.html
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

import {
  DEFAULTS,
  DURATION_FORM,
  PoolError,
  createLiveView,
  formatReport,
  loadPool,
  parseDuration,
  parseWeights,
  runLoad,
  runVerdict,
  writeCsvFiles,
  writeHtml,
  type LoadOptions,
  type LoadResult,
  type VerificationReport,
} from '../lib/load/index.ts';

const DEFAULT_URL = 'http://localhost:8080/notas';
const DEFAULT_POOL = 'data/pool.json';
const DEFAULT_PLAIN_INTERVAL = '5s';
const CONNECT_CHECK_MS = 3000;
const NOT_RUNNING_HINT = 'check the port mapping; is `npm run local -- --keep` or the cluster running?';

const HELP = `Usage: npx tsx scripts/load.ts [options]

POSTs records from a pool file to the notas API, one Idempotency-Key per request,
and reports requests, failures, RPS and latency percentiles per route (x-ruta).

Target and input:
  --url URL                 endpoint to POST to (default ${DEFAULT_URL})
  --pool FILE               JSON array or NDJSON of records (default ${DEFAULT_POOL}); records
                            marked "_invalid": "<reason>" are expected to get a 400
  --timeout DURATION        per-request timeout for headers and body, above 0 (default 10s);
                            with --rate it counts from the scheduled send time, so time spent
                            queued for a free connection counts too
  --transport NAME          HTTP client: net (built-in HTTP/1.1 client, under half the CPU per
                            request) or undici (default net for http://, undici for https://)

Closed model (default): each user sends, waits for the response, thinks, repeats.
  -u, --users N             concurrent virtual users (default ${DEFAULTS.users})
  -r, --spawn-rate N        users started per second (default ${DEFAULTS.spawnRate})
  --wait MIN-MAX            think time between a user's requests, uniform, e.g. 100ms-500ms
                            or a single DURATION (default 0)

Open model: requests leave on a schedule, however slow the responses; latency counts from the
scheduled send time, so server stalls are not hidden (no coordinated omission).
  --rate N                  requests per second; selects the open model
  --ramp DURATION           rise linearly from 0 to --rate over this time (default 0)
  --connections N           keep-alive connections (default: --users, or ${DEFAULTS.openConnections} with --rate)

Stop (whichever comes first; Ctrl-C or SIGTERM also stops with a full report):
  -t, --duration DURATION   run length, above 0 (default 30s unless --requests is given); at the
                            stop, requests still queued for a connection are dropped unsent and
                            reported as "not sent", never as requests or failures
  -n, --requests N          total requests to send

Checks (exit 1 when one fails):
  --max-failure-ratio R     accepted share of failed requests, 0 to 1 (default 0: any failure fails)
  --p95-max MS              highest accepted overall p95, milliseconds
  --p99-max MS              highest accepted overall p99, milliseconds
  --expect-split W          expected weights per route for the split check (default grpc=50,cache=50);
                            the verdict is reported, not enforced

Reconciliation (exit 1 on any mismatch):
  --verify                  after the run, check every acknowledged id is stored exactly once;
                            a 5xx still counts as a failure, but its record may have been
                            stored, so it is reconciled as uncertain, like a timeout
  --mongo-url URL           MongoDB for --verify (e.g. through kubectl port-forward)
  --mongo-db NAME           database name for --verify (default notas)
  --redis-url URL           Redis for --verify
  --state-file FILE         JSON written by \`npm run local -- --keep --state-file FILE\`;
                            supplies mongoUrl, redisUrl and, without --url, the ingress URL

Output:
  --csv PREFIX              write PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv
                            in Locust's format; rows per route are named "/notas [grpc]"
  --json FILE               complete summary with histograms and per-second history
  --html FILE               self-contained report with charts (opens offline)
  --acks FILE               acknowledged and uncertain requests as JSON, the input of verifyStorage
                            in lib/reconcile.ts for a later reconciliation;
                            uncertain means timed out, reset after sending, or answered 5xx
  --interval DURATION       progress line interval when stderr is not a terminal (default ${DEFAULT_PLAIN_INTERVAL})
  -q, --quiet               no live progress
  --run-id ID               prefix of every Idempotency-Key (default random); keys are ID:N
  -h, --help                show this help

DURATION is ${DURATION_FORM}.
Exit status: 0 all checks passed, 1 a check failed or a request failed unexpectedly,
2 invalid arguments or the run could not start (pool file, URL, unreachable ingress).
`;

class UsageError extends Error {}

interface CliOptions {
  load: Omit<LoadOptions, 'pool'>;
  poolPath: string;
  csv: string | null;
  json: string | null;
  html: string | null;
  acks: string | null;
  quiet: boolean;
  plainIntervalMs: number;
  verify: { mongoUrl: string; mongoDb?: string; redisUrl: string } | null;
}

function positiveInteger(option: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) throw new UsageError(`invalid --${option} "${raw}": expected an integer of at least 1`);
  return Number(raw);
}

function positiveNumber(option: string, raw: string | undefined, unit: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) throw new UsageError(`invalid --${option} "${raw}": expected a number above 0 (${unit})`);
  return value;
}

function duration(option: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = parseDuration(raw);
  if (value === undefined) throw new UsageError(`invalid --${option} "${raw}": expected ${DURATION_FORM}`);
  return value;
}

/** Like duration(), for options where 0 makes no sense: a 0 timeout would disable it, a 0 run would send one request. */
function positiveDuration(option: string, raw: string | undefined): number | undefined {
  const value = duration(option, raw);
  if (value === 0) throw new UsageError(`invalid --${option} "${raw}": expected a duration above 0, ${DURATION_FORM}`);
  return value;
}

function ratio(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new UsageError(`invalid --max-failure-ratio "${raw}": expected a number from 0 to 1, such as 0.01`);
  }
  return value;
}

function waitRange(raw: string | undefined): [number, number] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split('-');
  const values = parts.map((part) => parseDuration(part));
  if (parts.length > 2 || values.some((value) => value === undefined)) {
    throw new UsageError(`invalid --wait "${raw}": expected MIN-MAX or one duration, each ${DURATION_FORM}`);
  }
  const [min, max = min] = values as number[];
  if (max < min) throw new UsageError(`invalid --wait "${raw}": the maximum is below the minimum`);
  return [min, max];
}

function targetUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`invalid --url "${raw}": expected an absolute URL such as ${DEFAULT_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`invalid --url "${raw}": expected http:// or https://, got ${url.protocol}//`);
  }
  return url.href;
}

interface StateFile {
  ingress?: string;
  mongoUrl?: string;
  redisUrl?: string;
}

async function readStateFile(path: string): Promise<StateFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --state-file ${path}: ${(error as Error).message}; write it with \`npm run local -- --keep --state-file ${path}\``);
  }
  try {
    return JSON.parse(text) as StateFile;
  } catch (error) {
    throw new UsageError(`--state-file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

const OPTIONS = {
  url: { type: 'string' },
  pool: { type: 'string' },
  timeout: { type: 'string' },
  transport: { type: 'string' },
  users: { type: 'string', short: 'u' },
  'spawn-rate': { type: 'string', short: 'r' },
  wait: { type: 'string' },
  rate: { type: 'string' },
  ramp: { type: 'string' },
  connections: { type: 'string' },
  duration: { type: 'string', short: 't' },
  requests: { type: 'string', short: 'n' },
  'max-failure-ratio': { type: 'string' },
  'p95-max': { type: 'string' },
  'p99-max': { type: 'string' },
  'expect-split': { type: 'string' },
  verify: { type: 'boolean' },
  'mongo-url': { type: 'string' },
  'mongo-db': { type: 'string' },
  'redis-url': { type: 'string' },
  'state-file': { type: 'string' },
  csv: { type: 'string' },
  json: { type: 'string' },
  html: { type: 'string' },
  acks: { type: 'string' },
  interval: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'run-id': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Joins a value that starts with a dash to its option (`--rate -1` becomes
 * `--rate=-1`, `-u -1` becomes `-u-1`). parseArgs rejects the separate form
 * as ambiguous, while the joined form reaches the range check, whose
 * message names the accepted values.
 */
function joinDashValues(argv: string[]): string[] {
  const takesValue = new Set<string>();
  for (const [name, option] of Object.entries(OPTIONS)) {
    if (option.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if ('short' in option) takesValue.add(`-${option.short}`);
  }

  const joined: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    const next = argv[index + 1];
    if (takesValue.has(arg) && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      index++;
      continue;
    }
    joined.push(arg);
  }
  return joined;
}

async function parseCli(argv: string[]): Promise<CliOptions | 'help'> {
  const { values } = parseArgs({ args: joinDashValues(argv), strict: true, allowPositionals: false, options: OPTIONS });
  if (values.help) return 'help';

  const state = values['state-file'] === undefined ? {} : await readStateFile(values['state-file']);
  const url = targetUrl(values.url ?? state.ingress ?? DEFAULT_URL);

  let expectSplit: Record<string, number> | undefined;
  if (values['expect-split'] !== undefined) {
    const weights = parseWeights(values['expect-split']);
    if (typeof weights === 'string') throw new UsageError(`invalid --expect-split "${values['expect-split']}": ${weights}; expected route=weight pairs such as grpc=50,cache=50`);
    expectSplit = weights;
  }

  const runId = values['run-id'];
  if (runId !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(runId)) {
    throw new UsageError(`invalid --run-id "${runId}": expected 1 to 64 characters of A-Z a-z 0-9 _ . -`);
  }

  const rate = positiveNumber('rate', values.rate, 'requests per second');
  if (rate === undefined && values.ramp !== undefined) throw new UsageError('--ramp applies to the open model: give --rate too');
  if (rate !== undefined && (values.users !== undefined || values['spawn-rate'] !== undefined || values.wait !== undefined)) {
    throw new UsageError('--rate selects the open model; --users, --spawn-rate and --wait apply to the closed model only');
  }

  let verify: CliOptions['verify'] = null;
  if (values.verify) {
    const mongoUrl = values['mongo-url'] ?? state.mongoUrl;
    const redisUrl = values['redis-url'] ?? state.redisUrl;
    if (mongoUrl === undefined || redisUrl === undefined) {
      throw new UsageError('--verify needs --mongo-url and --redis-url, or a --state-file that contains them');
    }
    verify = { mongoUrl, redisUrl, mongoDb: values['mongo-db'] };
  }

  const transport = values.transport;
  if (transport !== undefined && transport !== 'net' && transport !== 'undici') {
    throw new UsageError(`invalid --transport "${transport}": expected net or undici`);
  }
  if (transport === 'net' && !url.startsWith('http:')) throw new UsageError('--transport net supports http:// only; use --transport undici for https://');

  const durationMs = positiveDuration('duration', values.duration);
  const requests = positiveInteger('requests', values.requests);

  return {
    poolPath: values.pool ?? DEFAULT_POOL,
    load: {
      url,
      users: positiveInteger('users', values.users),
      spawnRate: positiveNumber('spawn-rate', values['spawn-rate'], 'users per second'),
      waitMs: waitRange(values.wait),
      rate,
      rampMs: duration('ramp', values.ramp),
      connections: positiveInteger('connections', values.connections),
      durationMs: durationMs ?? (requests === undefined ? DEFAULTS.durationMs : null),
      requests: requests ?? null,
      timeoutMs: positiveDuration('timeout', values.timeout),
      transport,
      expectSplit,
      thresholds: {
        maxFailureRatio: ratio(values['max-failure-ratio']),
        p95MaxMs: positiveNumber('p95-max', values['p95-max'], 'milliseconds') ?? null,
        p99MaxMs: positiveNumber('p99-max', values['p99-max'], 'milliseconds') ?? null,
      },
      runId,
      recordAcknowledgements: verify !== null || values.acks !== undefined,
    },
    csv: values.csv ?? null,
    json: values.json ?? null,
    html: values.html ?? null,
    acks: values.acks ?? null,
    quiet: values.quiet ?? false,
    plainIntervalMs: duration('interval', values.interval ?? DEFAULT_PLAIN_INTERVAL)!,
    verify,
  };
}

/** Fails fast, before any statistics, when nothing listens at the target. */
async function checkReachable(rawUrl: string): Promise<void> {
  const url = new URL(rawUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');

  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (reason: string) => {
      socket.destroy();
      reject(new UsageError(`cannot reach ${url.host} (${reason}): ${NOT_RUNNING_HINT}`));
    };
    socket.setTimeout(CONNECT_CHECK_MS, () => fail(`no answer within ${CONNECT_CHECK_MS} ms`));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code === 'ECONNREFUSED' ? 'connection refused' : error.message));
  });
}

async function writeOutput(path: string, write: () => Promise<unknown>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await write();
}

type Reconciler = typeof import('../lib/reconcile.ts');

async function verifyRun(verify: NonNullable<CliOptions['verify']>, result: LoadResult): Promise<{ ok: boolean; report: VerificationReport }> {
  // Loaded only with --verify, so a plain run needs no database driver.
  const reconcilePath = '../lib/reconcile.ts';
  const reconciler = (await import(reconcilePath)) as Reconciler;
  const report = await reconciler.verifyStorage({
    ...verify,
    acknowledged: result.acknowledged,
    uncertain: result.uncertain,
    keyPrefix: `${result.summary.runId}:`,
  });
  process.stdout.write(`\n${reconciler.formatReconciliation(report)}\n`);
  return { ok: report.ok, report };
}

async function main(argv: string[]): Promise<number> {
  let options: CliOptions | 'help';
  try {
    options = await parseCli(argv);
    if (options === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\nRun with --help for the options.\n`);
    return 2;
  }

  let pool;
  try {
    pool = await loadPool(options.poolPath);
    await checkReachable(options.load.url);
  } catch (error) {
    if (error instanceof PoolError || error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const stop = new AbortController();
  const force = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      process.stderr.write(`\n${signal}: stopping; waiting for requests in flight (${signal} again aborts them)\n`);
      stop.abort();
      return;
    }
    force.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const result = await runLoad({ ...options.load, pool, signal: stop.signal, forceSignal: force.signal, onTick: options.quiet ? undefined : createLiveView(process.stderr, options.plainIntervalMs) });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  const summary = result.summary;
  process.stdout.write(`\n${formatReport(summary)}`);

  let verification: { ok: boolean; report: VerificationReport } | null = null;
  if (options.verify !== null) verification = await verifyRun(options.verify, result);

  const written: string[] = [];
  if (options.csv !== null) {
    const prefix = options.csv;
    await writeOutput(prefix, async () => written.push(...(await writeCsvFiles(prefix, summary))));
  }
  if (options.json !== null) {
    const path = options.json;
    const document = verification === null ? summary : { ...summary, verification: verification.report };
    await writeOutput(path, () => writeFile(path, `${JSON.stringify(document, null, 2)}\n`));
    written.push(path);
  }
  if (options.html !== null) {
    const path = options.html;
    await writeOutput(path, () => writeHtml(path, summary, verification?.report ?? null));
    written.push(path);
  }
  if (options.acks !== null) {
    const path = options.acks;
    await writeOutput(path, () => writeFile(path, `${JSON.stringify({ runId: summary.runId, acknowledged: result.acknowledged, uncertain: result.uncertain })}\n`));
    written.push(path);
  }
  if (written.length > 0) process.stdout.write(`\nwrote ${written.join(', ')}\n`);

  const verdict = runVerdict(summary, verification?.report ?? null);
  if (!verdict.passed) {
    process.stdout.write(`\nresult: FAIL (exit 1): ${verdict.reasons.join('; ')}\n`);
    return 1;
  }
  process.stdout.write('\nresult: PASS (exit 0)\n');
  return 0;
}

// A reader that stops early (`| head`) must not turn the report into a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

process.exitCode = await main(process.argv.slice(2));
