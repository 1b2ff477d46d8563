import { writeFile } from 'node:fs/promises';
import { PERCENTILES } from './histogram.ts';
import type { HistoryPoint, IntervalStats } from './stats.ts';
import { routeName, type LoadSummary, type RouteSummary } from './summary.ts';

// Column lists and row layout of Locust 2.47.0 (locust/stats.py, StatsCSV and
// StatsCSVFileWriter), so tools written for Locust's --csv files read these.
const PERCENTILE_COLUMNS = PERCENTILES.map((percentile) => `${percentile}%`);

export const STATS_COLUMNS = [
  'Type',
  'Name',
  'Request Count',
  'Failure Count',
  'Median Response Time',
  'Average Response Time',
  'Min Response Time',
  'Max Response Time',
  'Average Content Size',
  'Requests/s',
  'Failures/s',
  ...PERCENTILE_COLUMNS,
];

export const STATS_HISTORY_COLUMNS = [
  'Timestamp',
  'User Count',
  'Type',
  'Name',
  'Requests/s',
  'Failures/s',
  ...PERCENTILE_COLUMNS,
  'Total Request Count',
  'Total Failure Count',
  'Total Median Response Time',
  'Total Average Response Time',
  'Total Min Response Time',
  'Total Max Response Time',
  'Total Average Content Size',
];

export const FAILURES_COLUMNS = ['Method', 'Name', 'Error', 'Occurrences', 'First Seen', 'Last Seen'];

type Cell = string | number;

/** Quotes like Python's csv module with its defaults (QUOTE_MINIMAL, \r\n line ends), which Locust uses. */
export function toCsv(rows: Cell[][]): string {
  return rows.map((row) => row.map(quote).join(',')).join('\r\n') + '\r\n';
}

function quote(cell: Cell): string {
  const text = String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// Locust writes percentiles and the median as whole milliseconds, the rest as floats.
const whole = (value: number) => Math.round(value);

function statsRow(route: RouteSummary): Cell[] {
  const percentiles = route.requests === 0
    ? PERCENTILES.map(() => 'N/A')
    : PERCENTILES.map((percentile) => whole(route.percentilesMs[String(percentile)]));
  return [
    route.route === null ? '' : 'POST',
    route.name,
    route.requests,
    route.failures,
    whole(route.percentilesMs['50']),
    route.meanMs,
    route.minMs,
    route.maxMs,
    route.meanContentBytes,
    route.rps,
    route.failuresPerSecond,
    ...percentiles,
  ];
}

/** Rows of PREFIX_stats.csv: one per route sorted by name, then `Aggregated`. */
export function statsCsv(summary: LoadSummary): string {
  return toCsv([STATS_COLUMNS, ...summary.routes.map(statsRow), statsRow(summary.total)]);
}

// Python's "%2f" has six decimals.
const sixDecimals = (value: number) => value.toFixed(6);

function historyRow(point: HistoryPoint, type: string, name: string, stats: IntervalStats): Cell[] {
  const window = stats.windowPercentilesMs;
  const percentiles = stats.totalRequests === 0
    ? PERCENTILES.map(() => 'N/A')
    : PERCENTILES.map((percentile) => whole(window?.[String(percentile)] ?? 0));
  return [
    point.timestamp,
    point.users,
    type,
    name,
    sixDecimals(stats.currentRps),
    sixDecimals(stats.currentFailuresPerSecond),
    ...percentiles,
    stats.totalRequests,
    stats.totalFailures,
    whole(stats.totalMedianMs),
    stats.totalMeanMs,
    stats.totalMinMs,
    stats.totalMaxMs,
    stats.totalMeanContentBytes,
  ];
}

/**
 * Rows of PREFIX_stats_history.csv in the layout of Locust's
 * --csv-full-history: each second a row per route, then `Aggregated`, with
 * percentiles over the last 10 seconds and cumulative totals.
 */
export function statsHistoryCsv(summary: LoadSummary): string {
  const path = new URL(summary.url).pathname;
  const rows: Cell[][] = [STATS_HISTORY_COLUMNS];
  for (const point of summary.history) {
    for (const route of Object.keys(point.routes).sort()) {
      rows.push(historyRow(point, 'POST', routeName(path, route), point.routes[route]));
    }
    rows.push(historyRow(point, '', 'Aggregated', point.total));
  }
  return toCsv(rows);
}

/** Rows of PREFIX_failures.csv: one per route and failure kind. */
export function failuresCsv(summary: LoadSummary): string {
  const utc = (iso: string) => `${iso.slice(0, 19)}Z`;
  const rows: Cell[][] = summary.failures.map((failure) => ['POST', failure.name, failure.kind, failure.occurrences, utc(failure.firstSeen), utc(failure.lastSeen)]);
  return toCsv([FAILURES_COLUMNS, ...rows]);
}

/** Writes PREFIX_stats.csv, PREFIX_stats_history.csv and PREFIX_failures.csv; returns their paths. */
export async function writeCsvFiles(prefix: string, summary: LoadSummary): Promise<string[]> {
  const files: Array<[string, string]> = [
    [`${prefix}_stats.csv`, statsCsv(summary)],
    [`${prefix}_stats_history.csv`, statsHistoryCsv(summary)],
    [`${prefix}_failures.csv`, failuresCsv(summary)],
  ];
  for (const [path, text] of files) await writeFile(path, text);
  return files.map(([path]) => path);
}
