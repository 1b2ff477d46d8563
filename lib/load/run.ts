import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './histogram.ts';
import { loadPool, type PoolEntry } from './pool.ts';
import { SelfMonitor } from './selfcheck.ts';
import { checkSplit } from './split.ts';
import { StatsCollector, type HistoryPoint } from './stats.ts';
import {
  countsByRoute,
  routeName,
  summarizeFailures,
  summarizeRoute,
  type LoadSummary,
  type StopReason,
} from './summary.ts';
import { DEFAULT_THRESHOLDS, evaluateThresholds, type Thresholds } from './thresholds.ts';
import { NetTransport } from './transport-net.ts';
import { NOT_SENT_CODE, classifyError, type LoadTransport, type Outcome } from './transport.ts';

/** A 2xx response: the id the route returned for the idempotency key. */
export interface Acknowledgement {
  key: string;
  /** The response's `id`; the idempotency key when the body had none, because the routes store the key as `_id`. */
  id: string;
  ruta: string;
  status: number;
}

/**
 * A request whose effect is unknown: it was sent, but no complete response
 * arrived, or the response was a 5xx. A route can return 502, 503 or 504
 * after a write already reached a database. Route cache stores in MongoDB
 * before Redis, and a gateway timeout can come after the writer stored the
 * record. So a 5xx proves nothing either way.
 */
export interface UncertainRequest {
  key: string;
  /** The failure kind: `timeout`, `connection reset`, `HTTP 503`, ... */
  kind: string;
}

export interface LoadOptions {
  /** Target URL; every request is `POST` to it. */
  url: string;
  /** Pool entries, or the path of a pool file (JSON array or NDJSON). */
  pool: PoolEntry[] | string;
  /** Closed model: concurrent virtual users (default 10). Ignored when `rate` is set. */
  users?: number;
  /** Closed model: users started per second (default 10). */
  spawnRate?: number;
  /** Closed model: think time between a user's requests, uniform in [min, max] ms (default 0). */
  waitMs?: [number, number];
  /** Open model: requests per second. Setting it selects the open model. */
  rate?: number;
  /** Open model: linear ramp from 0 to `rate`, ms (default 0). */
  rampMs?: number;
  /** Keep-alive connections (default: `users` in the closed model, 100 in the open model). */
  connections?: number;
  /** Stop after this many ms; null for no limit (default 30 000 unless `requests` is set). */
  durationMs?: number | null;
  /** Stop after this many requests; null for no limit. */
  requests?: number | null;
  /**
   * Per-request timeout for headers and between body chunks, ms (default
   * 10 000). In the open model it counts from the scheduled send time, so
   * time queued in the client for a free connection counts too.
   */
  timeoutMs?: number;
  /**
   * HTTP client: `net`, a minimal HTTP/1.1 client for http: URLs that uses
   * under half the CPU per request, or `undici` (default `net` for http:,
   * `undici` for https:).
   */
  transport?: 'net' | 'undici';
  /** Expected split weights by route (default grpc 50, cache 50). */
  expectSplit?: Record<string, number>;
  thresholds?: Partial<Thresholds>;
  /** Keep the acknowledgement log (default true); a long CLI run without --verify turns it off to save memory. */
  recordAcknowledgements?: boolean;
  /** Prefix of every Idempotency-Key (default: 12 random hex digits). */
  runId?: string;
  /** Aborting stops sending and drops requests not yet sent; requests in flight finish (bounded by the timeout) and the run reports. */
  signal?: AbortSignal;
  /** Aborting ends requests in flight at once; they count as `aborted`. */
  forceSignal?: AbortSignal;
  /** Called once a second with the newest history point. */
  onTick?: (progress: Progress) => void;
}

export interface Progress {
  point: HistoryPoint;
  elapsedMs: number;
  /** Planned run length, null when only a request count bounds the run. */
  durationMs: number | null;
  requestsIssued: number;
  requestLimit: number | null;
  model: 'closed' | 'open';
  users: number;
  targetUsers: number;
  stopping: boolean;
}

export interface LoadResult {
  summary: LoadSummary;
  acknowledged: Acknowledgement[];
  uncertain: UncertainRequest[];
  /** Pool records marked invalid that received a 400, as expected. */
  invalidRejected: number;
  /** Failures of any kind: every one was unexpected. */
  unexpected: number;
}

export const DEFAULTS = {
  users: 10,
  spawnRate: 10,
  durationMs: 30_000,
  timeoutMs: 10_000,
  openConnections: 100,
  expectSplit: { grpc: 50, cache: 50 } as Record<string, number>,
};

// An open-model scheduler tick sends at most this many late requests, so a
// stalled loop catches up without starving response callbacks.
const MAX_BURST = 5_000;
const FAILURE_SAMPLE_CHARS = 200;
/** Share of an open-model schedule that may stay unsent before the run is not a valid measurement. */
const MAX_NOT_SENT_SHARE = 0.01;

/**
 * Runs one load against `options.url` and resolves when it ends (duration,
 * request count or `signal`) and every request in flight has completed.
 *
 * @example
 * const result = await runLoad({ url: 'http://127.0.0.1:8080/notas', pool: 'data/pool.json', users: 32, durationMs: 10_000 });
 * console.log(result.summary.total.rps, result.acknowledged.length);
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const pool = typeof options.pool === 'string' ? await loadPool(options.pool) : options.pool;
  if (pool.length === 0) throw new Error('pool contains no records');

  const run = new LoadRun(options, pool);
  await run.openTransport();
  return run.execute();
}

class LoadRun {
  readonly options: LoadOptions;
  readonly pool: PoolEntry[];
  readonly url: URL;
  readonly model: 'closed' | 'open';
  readonly runId: string;
  transport!: LoadTransport;
  readonly transportName: 'net' | 'undici';
  readonly collector = new StatsCollector();
  readonly monitor = new SelfMonitor();
  readonly sendLag = new LatencyHistogram();
  readonly recordAcks: boolean;
  readonly durationMs: number | null;
  readonly requestLimit: number | null;
  readonly targetUsers: number;
  readonly connections: number;
  readonly timeoutMs: number;

  readonly acknowledged: Acknowledgement[] = [];
  readonly uncertain: UncertainRequest[] = [];
  invalidSent = 0;
  invalidRejected = 0;
  invalidAccepted = 0;
  /** Requests dropped from the client's queue when the run stopped: never sent, never counted. */
  notSent = 0;

  issued = 0;
  inFlight = 0;
  activeUsers = 0;
  stopping = false;
  stopReason: StopReason = 'duration';
  startMs = 0;
  startWallMs = 0;
  readonly timers = new Set<NodeJS.Timeout>();
  ticker: NodeJS.Timeout | undefined;
  resolveDone: (() => void) | undefined;

  constructor(options: LoadOptions, pool: PoolEntry[]) {
    this.options = options;
    this.pool = pool;
    this.url = new URL(options.url);
    this.model = options.rate === undefined ? 'closed' : 'open';
    this.runId = options.runId ?? randomBytes(6).toString('hex');
    this.recordAcks = options.recordAcknowledgements ?? true;
    this.requestLimit = options.requests ?? null;
    // Without either limit the run would never end, so the default duration applies.
    if (options.durationMs !== undefined) this.durationMs = options.durationMs;
    else if (this.requestLimit === null) this.durationMs = DEFAULTS.durationMs;
    else this.durationMs = null;
    this.targetUsers = options.users ?? DEFAULTS.users;
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;

    this.connections = options.connections ?? (this.model === 'closed' ? this.targetUsers : DEFAULTS.openConnections);
    this.transportName = options.transport ?? (this.url.protocol === 'http:' ? 'net' : 'undici');
    if (this.transportName === 'net' && this.url.protocol !== 'http:') throw new Error(`the net transport supports http: only; use transport undici for ${this.url.protocol}`);
  }

  async openTransport(): Promise<void> {
    const transportOptions = { connections: this.connections, timeoutMs: this.timeoutMs };
    if (this.transportName === 'net') {
      this.transport = new NetTransport(this.url, transportOptions);
      return;
    }
    // Loaded on demand: undici's modules add a tenth of a second of start-up CPU.
    const { UndiciTransport } = await import('./transport-undici.ts');
    this.transport = new UndiciTransport(this.url, transportOptions);
  }

  async execute(): Promise<LoadResult> {
    const done = new Promise<void>((resolve) => {
      this.resolveDone = resolve;
    });

    this.startMs = performance.now();
    this.startWallMs = Date.now();
    this.monitor.start();
    this.ticker = setInterval(() => this.tick(), 1000);

    const onStop = () => this.stop('signal');
    const onForce = () => {
      this.stop('signal');
      void this.transport.destroy();
    };
    this.options.signal?.addEventListener('abort', onStop, { once: true });
    this.options.forceSignal?.addEventListener('abort', onForce, { once: true });

    if (this.durationMs !== null) this.later(() => this.stop('duration'), this.durationMs);
    if (this.model === 'closed') this.spawnUsers();
    else this.scheduleOpen();

    if (this.options.signal?.aborted) this.stop('signal');
    await done;

    this.options.signal?.removeEventListener('abort', onStop);
    this.options.forceSignal?.removeEventListener('abort', onForce);
    clearInterval(this.ticker);
    await this.transport.destroy();
    return this.finish();
  }

  later(callback: () => void, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      callback();
    }, delayMs);
    this.timers.add(timer);
  }

  stop(reason: StopReason): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopReason = reason;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();

    // A duration or a signal ends the run now, so requests still waiting for
    // a connection are not sent after it. A request limit asked for exactly
    // that many requests, so those queued requests still go out.
    if (reason !== 'requests') this.transport.dropUnsent();
    this.settleIfIdle();
  }

  settleIfIdle(): void {
    if (this.stopping && this.inFlight === 0) this.resolveDone?.();
  }

  /** True while another request may be sent; marks the stop when the request limit is reached. */
  mayIssue(): boolean {
    if (this.stopping) return false;
    if (this.requestLimit !== null && this.issued >= this.requestLimit) {
      this.stop('requests');
      return false;
    }
    return true;
  }

  spawnUsers(): void {
    const spawnRate = this.options.spawnRate ?? DEFAULTS.spawnRate;
    for (let user = 0; user < this.targetUsers; user++) {
      const delayMs = (user * 1000) / spawnRate;
      if (delayMs === 0) this.startUser();
      else this.later(() => this.startUser(), delayMs);
    }
  }

  startUser(): void {
    if (!this.mayIssue()) return;
    this.activeUsers++;
    this.userStep();
  }

  userStep(): void {
    if (!this.mayIssue()) {
      this.activeUsers--;
      return;
    }

    const sentAt = performance.now();
    this.issue(sentAt, null, () => {
      const [minWait, maxWait] = this.options.waitMs ?? [0, 0];
      const waitMs = minWait + Math.random() * (maxWait - minWait);
      if (waitMs <= 0 || this.stopping) this.userStep();
      else this.later(() => this.userStep(), waitMs);
    });
  }

  /** Open model: sends request n at its scheduled time T(n), measuring latency from T(n). */
  scheduleOpen(): void {
    const rate = this.options.rate!;
    const rampMs = this.options.rampMs ?? 0;
    let scheduled = 0;

    const step = () => {
      const now = performance.now();
      const elapsed = now - this.startMs;
      const due = Math.min(Math.floor(requestsDueBy(elapsed, rate, rampMs)), scheduled + MAX_BURST);

      while (scheduled < due && this.mayIssue()) {
        scheduled++;
        const intended = this.startMs + scheduledTime(scheduled, rate, rampMs);
        this.sendLag.record(Math.max(0, now - intended) * 1000);
        this.issue(intended, intended + this.timeoutMs, undefined);
      }

      if (!this.stopping) this.later(step, 1);
    };
    step();
  }

  /** Sends the next pool entry; `deadline` (performance.now() ms) bounds its whole time, null leaves the transport's timeout. */
  issue(startMs: number, deadline: number | null, next: (() => void) | undefined): void {
    const entry = this.pool[this.issued % this.pool.length];
    this.issued++;
    this.inFlight++;
    if (entry.invalid !== null) this.invalidSent++;

    const key = `${this.runId}:${this.issued}`;
    const wantBody = this.recordAcks;
    this.transport.send(entry, key, wantBody, deadline, (outcome) => {
      if (isNotSent(outcome)) this.notSent++;
      else this.complete(entry, key, startMs, outcome);
      this.inFlight--;
      if (next !== undefined) next();
      this.settleIfIdle();
    });
  }

  complete(entry: PoolEntry, key: string, startMs: number, outcome: Outcome): void {
    const now = performance.now();
    const latencyUs = (now - startMs) * 1000;
    const failure = this.judge(entry, key, outcome);
    const sample = failure === null ? noSample : () => sampleOf(outcome);
    this.collector.record(outcome.route, latencyUs, failure, outcome.bytes, sample, this.startWallMs + (now - this.startMs));
  }

  /** Returns the failure kind, or null when the outcome was the expected one. */
  judge(entry: PoolEntry, key: string, outcome: Outcome): string | null {
    if (outcome.error !== null) {
      const { kind, uncertain } = classifyError(outcome.error, outcome.sent);
      if (uncertain) this.uncertain.push({ key, kind });
      return kind;
    }

    const status = outcome.status;
    const success = status >= 200 && status < 300;
    if (success) this.acknowledge(key, outcome);

    if (entry.invalid !== null) {
      if (status === 400) {
        this.invalidRejected++;
        return null;
      }
      if (success) {
        this.invalidAccepted++;
        return `HTTP ${status} for an invalid record (expected 400)`;
      }
      return `HTTP ${status}`;
    }

    if (success) return null;
    const kind = `HTTP ${status}`;
    // Still a failure for the thresholds, but the record may be stored.
    if (status >= 500) this.uncertain.push({ key, kind });
    return kind;
  }

  acknowledge(key: string, outcome: Outcome): void {
    if (!this.recordAcks) return;

    let id = key;
    try {
      const parsed = JSON.parse(outcome.body ?? '') as { id?: unknown };
      if (typeof parsed.id === 'string') id = parsed.id;
    } catch {
      // A 2xx without a JSON body still acknowledges the key.
    }
    this.acknowledged.push({ key, id, ruta: outcome.route, status: outcome.status });
  }

  tick(): void {
    const now = performance.now();
    const client = this.monitor.sample();
    const point = this.collector.tick(Date.now(), (now - this.startMs) / 1000, this.usersShown(), this.inFlight);
    point.client = client;

    this.options.onTick?.({
      point,
      elapsedMs: now - this.startMs,
      durationMs: this.durationMs,
      requestsIssued: this.issued,
      requestLimit: this.requestLimit,
      model: this.model,
      users: this.usersShown(),
      targetUsers: this.model === 'closed' ? this.targetUsers : 0,
      stopping: this.stopping,
    });
  }

  usersShown(): number {
    return this.model === 'closed' ? this.activeUsers : this.inFlight;
  }

  finish(): LoadResult {
    const now = performance.now();
    const elapsedSeconds = (now - this.startMs) / 1000;
    const lastPoint = this.collector.tick(Date.now(), elapsedSeconds, this.usersShown(), this.inFlight);
    lastPoint.client = this.monitor.sample();

    const path = this.url.pathname;
    const sendLagMs = this.model === 'open' && this.sendLag.count > 0
      ? { p50: this.sendLag.percentileUs(50) / 1000, p99: this.sendLag.percentileUs(99) / 1000, max: this.sendLag.maxUs / 1000 }
      : null;
    const selfCheck = this.monitor.finish(sendLagMs);

    // An open-model run that dropped a share of its schedule measured a lower
    // rate than the one requested, so its latencies describe another load.
    const scheduled = this.collector.total.requests + this.notSent;
    if (this.model === 'open' && scheduled > 0 && this.notSent / scheduled > MAX_NOT_SENT_SHARE) {
      selfCheck.valid = false;
      selfCheck.reasons.push(
        `${this.notSent} of ${scheduled} scheduled requests (${((100 * this.notSent) / scheduled).toFixed(1)}%) were never sent ` +
          `(limit ${MAX_NOT_SENT_SHARE * 100}%): the client could not keep --rate; raise --connections or lower --rate`,
      );
    }

    const total = summarizeRoute(this.collector.total, null, 'Aggregated', elapsedSeconds);
    const routes = this.collector.sortedRoutes().map((stats) => summarizeRoute(stats, stats.name, routeName(path, stats.name), elapsedSeconds));
    const thresholds = evaluateThresholds(
      { requests: total.requests, failures: total.failures, p95Ms: total.percentilesMs['95'], p99Ms: total.percentilesMs['99'] },
      { ...DEFAULT_THRESHOLDS, ...definedOnly(this.options.thresholds ?? {}) },
    );

    const summary: LoadSummary = {
      tool: 'notas-load',
      formatVersion: 1,
      runId: this.runId,
      url: this.url.href,
      method: 'POST',
      model: this.model,
      settings: this.settings(),
      startedAt: new Date(this.startWallMs).toISOString(),
      endedAt: new Date(this.startWallMs + (now - this.startMs)).toISOString(),
      elapsedSeconds,
      stopReason: this.stopReason,
      total,
      routes,
      failures: summarizeFailures(this.collector.sortedFailures(), path),
      invalid: { sent: this.invalidSent, rejected: this.invalidRejected, accepted: this.invalidAccepted },
      unexpected: total.failures,
      acknowledged: this.acknowledged.length,
      uncertain: this.uncertain.length,
      notSent: this.notSent,
      split: checkSplit(countsByRoute(this.collector), this.options.expectSplit ?? DEFAULTS.expectSplit),
      selfCheck,
      thresholds,
      history: this.collector.history,
    };

    return {
      summary,
      acknowledged: this.acknowledged,
      uncertain: this.uncertain,
      invalidRejected: this.invalidRejected,
      unexpected: total.failures,
    };
  }

  settings(): Record<string, unknown> {
    const options = this.options;
    const common = {
      durationMs: this.durationMs,
      requests: this.requestLimit,
      timeoutMs: this.timeoutMs,
      connections: this.connections,
      transport: this.transportName,
      poolSize: this.pool.length,
      expectSplit: options.expectSplit ?? DEFAULTS.expectSplit,
    };
    if (this.model === 'open') return { ...common, rate: options.rate, rampMs: options.rampMs ?? 0 };
    return { ...common, users: this.targetUsers, spawnRate: options.spawnRate ?? DEFAULTS.spawnRate, waitMs: options.waitMs ?? [0, 0] };
  }
}

/** Requests scheduled by `elapsedMs` into a run whose rate rises linearly from 0 to `rate` over `rampMs`. */
export function requestsDueBy(elapsedMs: number, rate: number, rampMs: number): number {
  const perMs = rate / 1000;
  if (rampMs <= 0) return elapsedMs * perMs;
  if (elapsedMs <= rampMs) return (perMs * elapsedMs * elapsedMs) / (2 * rampMs);
  return (perMs * rampMs) / 2 + perMs * (elapsedMs - rampMs);
}

/** Inverse of requestsDueBy: the scheduled time of request n (1-based), ms after the start. */
export function scheduledTime(n: number, rate: number, rampMs: number): number {
  const perMs = rate / 1000;
  if (rampMs <= 0) return n / perMs;
  const rampRequests = (perMs * rampMs) / 2;
  if (n <= rampRequests) return Math.sqrt((2 * n * rampMs) / perMs);
  return rampMs + (n - rampRequests) / perMs;
}

const noSample = () => '';

function isNotSent(outcome: Outcome): boolean {
  return outcome.error !== null && (outcome.error as { code?: string }).code === NOT_SENT_CODE;
}

function sampleOf(outcome: Outcome): string {
  const text = outcome.error !== null ? outcome.error.message : (outcome.body ?? '');
  return text.length > FAILURE_SAMPLE_CHARS ? `${text.slice(0, FAILURE_SAMPLE_CHARS - 3)}...` : text;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
