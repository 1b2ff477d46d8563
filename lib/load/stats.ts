import { LatencyHistogram, PERCENTILES } from './histogram.ts';
import type { ClientSample } from './selfcheck.ts';

/** Seconds of history behind "current" RPS and failures/s. */
export const RATE_WINDOW_SECONDS = 5;
/** Seconds of history behind "current" percentiles, as Locust's stats history uses. */
export const PERCENTILE_WINDOW_SECONDS = 10;

/** Figures of one route (or of all routes together) for one second of the run. */
export interface IntervalStats {
  /** Requests and failures completed in this second. */
  requests: number;
  failures: number;
  /** Completions per second over the last RATE_WINDOW_SECONDS. */
  currentRps: number;
  currentFailuresPerSecond: number;
  /** Latency of this second's completions, ms. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Percentiles over the last PERCENTILE_WINDOW_SECONDS, ms, keyed like PERCENTILES. */
  windowPercentilesMs: Record<string, number> | null;
  /** Cumulative figures since the start of the run. */
  totalRequests: number;
  totalFailures: number;
  totalMedianMs: number;
  totalMeanMs: number;
  totalMinMs: number;
  totalMaxMs: number;
  totalMeanContentBytes: number;
}

/** One row of the per-second history. */
export interface HistoryPoint {
  /** Unix time in seconds at the end of the interval. */
  timestamp: number;
  elapsedSeconds: number;
  /** Length of this interval in seconds: 1 except for the last, partial one. */
  intervalSeconds: number;
  /** Active virtual users (closed model) or requests in flight (open model). */
  users: number;
  inFlight: number;
  total: IntervalStats;
  routes: Record<string, IntervalStats>;
  /** The load generator's own event-loop utilisation and CPU during this second. */
  client?: ClientSample;
}

/** A group of failures of one kind on one route. */
export interface FailureGroup {
  route: string;
  kind: string;
  /** A short sample of the first response body or error message. */
  sample: string;
  occurrences: number;
  /** Unix time in milliseconds. */
  firstSeen: number;
  lastSeen: number;
}

/** Counters and histograms of one route, or of all routes for the aggregate. */
export class RouteStats {
  readonly name: string;
  requests = 0;
  failures = 0;
  contentBytes = 0;
  readonly cumulative = new LatencyHistogram();

  // Completions since the last tick; the hot path writes only these.
  interval = new LatencyHistogram();
  intervalRequests = 0;
  intervalFailures = 0;
  intervalContentBytes = 0;

  // Closed intervals, newest last, for the sliding windows.
  readonly recent: Array<{ histogram: LatencyHistogram; requests: number; failures: number }> = [];

  // Reused every second to merge the percentile window without allocating.
  readonly windowScratch = new LatencyHistogram();

  constructor(name: string) {
    this.name = name;
  }

  record(latencyUs: number, failed: boolean, contentBytes: number): void {
    this.interval.record(latencyUs);
    this.intervalRequests++;
    if (failed) this.intervalFailures++;
    this.intervalContentBytes += contentBytes;
  }

  /** Moves the open interval into the cumulative figures and the sliding windows. */
  closeInterval(): { histogram: LatencyHistogram; requests: number; failures: number } {
    const closed = { histogram: this.interval, requests: this.intervalRequests, failures: this.intervalFailures };
    this.cumulative.add(closed.histogram);
    this.requests += closed.requests;
    this.failures += closed.failures;
    this.contentBytes += this.intervalContentBytes;

    this.recent.push(closed);
    const reused = this.recent.length > PERCENTILE_WINDOW_SECONDS ? this.recent.shift()!.histogram : new LatencyHistogram();
    reused.reset();
    this.interval = reused;
    this.intervalRequests = 0;
    this.intervalFailures = 0;
    this.intervalContentBytes = 0;
    return closed;
  }

  /** Adds another route's just-closed interval, so the aggregate never re-records values. */
  absorbInterval(closed: { histogram: LatencyHistogram; requests: number; failures: number }, contentBytes: number): void {
    this.interval.add(closed.histogram);
    this.intervalRequests += closed.requests;
    this.intervalFailures += closed.failures;
    this.intervalContentBytes += contentBytes;
  }

  snapshot(elapsedSeconds: number): IntervalStats {
    const last = this.recent[this.recent.length - 1];
    const rateWindow = this.recent.slice(-RATE_WINDOW_SECONDS);
    const windowSeconds = Math.min(rateWindow.length, Math.max(1, Math.ceil(elapsedSeconds)));
    const windowRequests = rateWindow.reduce((sum, item) => sum + item.requests, 0);
    const windowFailures = rateWindow.reduce((sum, item) => sum + item.failures, 0);

    const merged = this.windowScratch;
    merged.reset();
    for (const item of this.recent) merged.add(item.histogram);

    return {
      requests: last?.requests ?? 0,
      failures: last?.failures ?? 0,
      currentRps: windowSeconds === 0 ? 0 : windowRequests / windowSeconds,
      currentFailuresPerSecond: windowSeconds === 0 ? 0 : windowFailures / windowSeconds,
      p50Ms: (last?.histogram.percentileUs(50) ?? 0) / 1000,
      p95Ms: (last?.histogram.percentileUs(95) ?? 0) / 1000,
      p99Ms: (last?.histogram.percentileUs(99) ?? 0) / 1000,
      maxMs: (last?.histogram.maxUs ?? 0) / 1000,
      windowPercentilesMs: merged.count === 0 ? null : merged.percentilesMs(),
      totalRequests: this.requests,
      totalFailures: this.failures,
      totalMedianMs: this.cumulative.percentileUs(50) / 1000,
      totalMeanMs: this.cumulative.meanUs() / 1000,
      totalMinMs: this.cumulative.count === 0 ? 0 : this.cumulative.minUs / 1000,
      totalMaxMs: this.cumulative.maxUs / 1000,
      totalMeanContentBytes: this.requests === 0 ? 0 : this.contentBytes / this.requests,
    };
  }
}

/**
 * Collects every completed request per route and overall, closes one
 * interval per second into the history, and groups failures by route and kind.
 */
export class StatsCollector {
  readonly routes = new Map<string, RouteStats>();
  readonly total = new RouteStats('Aggregated');
  readonly failures = new Map<string, FailureGroup>();
  readonly history: HistoryPoint[] = [];

  route(name: string): RouteStats {
    let stats = this.routes.get(name);
    if (stats === undefined) {
      stats = new RouteStats(name);
      this.routes.set(name, stats);
    }
    return stats;
  }

  record(route: string, latencyUs: number, failureKind: string | null, contentBytes: number, sample: () => string, nowMs: number): void {
    this.route(route).record(latencyUs, failureKind !== null, contentBytes);
    if (failureKind === null) return;

    const key = `${route}\u0000${failureKind}`;
    const group = this.failures.get(key);
    if (group === undefined) {
      this.failures.set(key, { route, kind: failureKind, sample: sample(), occurrences: 1, firstSeen: nowMs, lastSeen: nowMs });
      return;
    }
    group.occurrences++;
    group.lastSeen = nowMs;
  }

  /** Closes the current interval of every route; called once a second and once at the end. */
  tick(timestampMs: number, elapsedSeconds: number, users: number, inFlight: number): HistoryPoint {
    const routes: Record<string, IntervalStats> = {};
    for (const [name, stats] of this.routes) {
      const contentBytes = stats.intervalContentBytes;
      const closed = stats.closeInterval();
      this.total.absorbInterval(closed, contentBytes);
      routes[name] = stats.snapshot(elapsedSeconds);
    }
    this.total.closeInterval();

    const previous = this.history[this.history.length - 1];
    const point: HistoryPoint = {
      timestamp: Math.floor(timestampMs / 1000),
      elapsedSeconds,
      intervalSeconds: elapsedSeconds - (previous?.elapsedSeconds ?? 0),
      users,
      inFlight,
      total: this.total.snapshot(elapsedSeconds),
      routes,
    };
    this.history.push(point);
    return point;
  }

  sortedRoutes(): RouteStats[] {
    return [...this.routes.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  sortedFailures(): FailureGroup[] {
    return [...this.failures.values()].sort((a, b) => a.route.localeCompare(b.route) || b.occurrences - a.occurrences);
  }
}

export { PERCENTILES };
