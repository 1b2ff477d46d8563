import type { HistogramExport } from './histogram.ts';
import type { SelfCheck } from './selfcheck.ts';
import type { SplitCheck } from './split.ts';
import type { FailureGroup, HistoryPoint, RouteStats, StatsCollector } from './stats.ts';
import type { ThresholdReport } from './thresholds.ts';

/** Cumulative figures of one route, or of all routes when `route` is null. */
export interface RouteSummary {
  /** The `x-ruta` value, `unknown` for responses without it, null for the aggregate. */
  route: string | null;
  /** The name reports use: `/notas [grpc]`, or `Aggregated`. */
  name: string;
  requests: number;
  failures: number;
  /** Completed requests divided by the run's elapsed time. */
  rps: number;
  failuresPerSecond: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
  /** Keyed by percentile label: `"50"`, `"99.9"`, `"100"` (= maxMs). */
  percentilesMs: Record<string, number>;
  meanContentBytes: number;
  histogram: HistogramExport;
}

export interface FailureSummary {
  route: string;
  name: string;
  kind: string;
  sample: string;
  occurrences: number;
  firstSeen: string;
  lastSeen: string;
}

export type StopReason = 'duration' | 'requests' | 'signal';

/** Everything a run measured; `--json` writes this object. */
export interface LoadSummary {
  tool: 'notas-load';
  formatVersion: 1;
  runId: string;
  url: string;
  method: 'POST';
  model: 'closed' | 'open';
  settings: Record<string, unknown>;
  startedAt: string;
  endedAt: string;
  elapsedSeconds: number;
  stopReason: StopReason;
  total: RouteSummary;
  routes: RouteSummary[];
  failures: FailureSummary[];
  /** Pool records marked invalid: how many were sent, got a 400 (success), got a 2xx (failure). */
  invalid: { sent: number; rejected: number; accepted: number };
  /** Requests that failed unexpectedly (every failure counted in `total.failures`). */
  unexpected: number;
  acknowledged: number;
  uncertain: number;
  /**
   * Requests still queued in the client, waiting for a free connection, when
   * the duration ran out or a signal stopped the run. They were never sent,
   * so they are neither requests, failures nor latency samples.
   */
  notSent: number;
  split: SplitCheck;
  selfCheck: SelfCheck;
  thresholds: ThresholdReport;
  history: HistoryPoint[];
}

/** Report name of a route's rows, as in Locust's Name column. */
export function routeName(path: string, route: string): string {
  return `${path} [${route}]`;
}

export function summarizeRoute(stats: RouteStats, route: string | null, name: string, elapsedSeconds: number): RouteSummary {
  const histogram = stats.cumulative;
  const seconds = elapsedSeconds > 0 ? elapsedSeconds : 1;
  return {
    route,
    name,
    requests: stats.requests,
    failures: stats.failures,
    rps: stats.requests / seconds,
    failuresPerSecond: stats.failures / seconds,
    minMs: histogram.count === 0 ? 0 : histogram.minUs / 1000,
    maxMs: histogram.maxUs / 1000,
    meanMs: histogram.meanUs() / 1000,
    percentilesMs: histogram.percentilesMs(),
    meanContentBytes: stats.requests === 0 ? 0 : stats.contentBytes / stats.requests,
    histogram: histogram.export(),
  };
}

export function summarizeFailures(failures: FailureGroup[], path: string): FailureSummary[] {
  return failures.map((failure) => ({
    route: failure.route,
    name: routeName(path, failure.route),
    kind: failure.kind,
    sample: failure.sample,
    occurrences: failure.occurrences,
    firstSeen: new Date(failure.firstSeen).toISOString(),
    lastSeen: new Date(failure.lastSeen).toISOString(),
  }));
}

/** Responses per route, for the split check. */
export function countsByRoute(collector: StatsCollector): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const stats of collector.routes.values()) counts[stats.name] = stats.requests;
  return counts;
}
