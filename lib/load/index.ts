/**
 * Programmatic load generator: `runLoad` drives the closed or open model
 * and returns the summary (what `scripts/load.ts --json` writes) with the
 * acknowledgement log that storage reconciliation needs.
 */
export { runLoad, DEFAULTS, type Acknowledgement, type LoadOptions, type LoadResult, type Progress, type UncertainRequest } from './run.ts';
export { loadPool, PoolError, INVALID_MARKER, type PoolEntry } from './pool.ts';
export { parseDuration, formatDuration, DURATION_FORM } from './duration.ts';
export { createLiveView, formatReport, formatLive, formatLiveLine } from './report.ts';
export { writeCsvFiles, statsCsv, statsHistoryCsv, failuresCsv, STATS_COLUMNS, STATS_HISTORY_COLUMNS, FAILURES_COLUMNS } from './csv.ts';
export { renderHtml, writeHtml } from './html.ts';
export { runVerdict, type RunVerdict, type VerificationReport } from './verdict.ts';
export { parseWeights, checkSplit, wilsonInterval } from './split.ts';
export { evaluateThresholds, type Thresholds } from './thresholds.ts';
export { LatencyHistogram, PERCENTILES } from './histogram.ts';
export type { LoadSummary, RouteSummary, FailureSummary } from './summary.ts';
