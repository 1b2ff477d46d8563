import { formatDuration } from './duration.ts';
import { count, ms, percent, rate, table } from './format.ts';
import { PERCENTILES } from './histogram.ts';
import type { Progress } from './run.ts';
import type { IntervalStats } from './stats.ts';
import type { LoadSummary, RouteSummary } from './summary.ts';

const BAR_WIDTH = 24;

/** Formats the final text report: totals per route, percentiles, failures, split, self-check, thresholds. */
export function formatReport(summary: LoadSummary): string {
  const sections = [
    headline(summary),
    routeTable(summary),
    percentileTable(summary),
    failureList(summary),
    invalidLine(summary),
    splitSection(summary),
    selfCheckSection(summary),
    thresholdSection(summary),
  ];
  return sections.filter((section) => section !== '').join('\n\n') + '\n';
}

function headline(summary: LoadSummary): string {
  const settings = summary.settings;
  const load = summary.model === 'closed'
    ? `closed model, ${settings.users} users`
    : `open model, ${settings.rate} req/s`;
  return [
    `${count(summary.total.requests)} requests in ${summary.elapsedSeconds.toFixed(1)} s (${rate(summary.total.rps)} req/s), ${load}, POST ${summary.url}`,
    `stopped by ${summary.stopReason}${notSentNote(summary)}; run id ${summary.runId}`,
  ].join('\n');
}

/** Describes the queued requests the stop dropped; empty when there were none. */
export function notSentNote(summary: LoadSummary): string {
  const notSent = summary.notSent ?? 0;
  if (notSent === 0) return '';
  return ` (${count(notSent)} requests still queued for a connection were dropped unsent: not counted as requests or failures)`;
}

function routeRow(route: RouteSummary): string[] {
  const p = route.percentilesMs;
  return [route.name, count(route.requests), count(route.failures), rate(route.rps), ms(route.minMs), ms(p['50']), ms(p['95']), ms(p['99']), ms(route.maxMs)];
}

function routeTable(summary: LoadSummary): string {
  const header = ['Name', 'reqs', 'fails', 'req/s', 'min', 'p50', 'p95', 'p99', 'max ms'];
  return table([header, ...summary.routes.map(routeRow), routeRow(summary.total)]);
}

function percentileTable(summary: LoadSummary): string {
  const header = ['Percentiles (ms)', ...PERCENTILES.map((percentile) => `${percentile}%`)];
  const row = (route: RouteSummary) => [route.name, ...PERCENTILES.map((percentile) => ms(route.percentilesMs[String(percentile)]))];
  return table([header, ...summary.routes.map(row), row(summary.total)]);
}

function failureList(summary: LoadSummary): string {
  if (summary.failures.length === 0) return 'Failures: none';

  const lines = ['Failures:'];
  for (const failure of summary.failures) {
    lines.push(`  ${count(failure.occurrences)} x ${failure.kind} on ${failure.name}, first ${clock(failure.firstSeen)}, last ${clock(failure.lastSeen)}`);
    if (failure.sample !== '') lines.push(`      first: ${failure.sample}`);
  }

  const hints = failureHints(summary);
  if (hints.length > 0) lines.push(...hints.map((hint) => `  hint: ${hint}`));
  return lines.join('\n');
}

function failureHints(summary: LoadSummary): string[] {
  const kinds = new Set(summary.failures.map((failure) => failure.kind));
  const hints: string[] = [];
  if (kinds.has('HTTP 404')) hints.push(`404 means the path is wrong: the routes serve POST /notas (got ${new URL(summary.url).pathname})`);
  if (kinds.has('connection refused')) hints.push('the ingress refused connections: check the port mapping; is `npm run local -- --keep` or the cluster running?');
  if (kinds.has('timeout')) hints.push(`requests timed out after ${summary.settings.timeoutMs} ms; raise --timeout or lower the load`);
  return hints;
}

function invalidLine(summary: LoadSummary): string {
  const invalid = summary.invalid;
  if (invalid.sent === 0) return '';
  return `Invalid records (marked in the pool): ${count(invalid.sent)} sent, ${count(invalid.rejected)} rejected with 400 as expected, ${count(invalid.accepted)} accepted with 2xx`;
}

function splitSection(summary: LoadSummary): string {
  const split = summary.split;
  const expected = Object.entries(split.expected).map(([route, share]) => `${route} ${percent(share)}`).join(', ');
  const rows = split.routes.map((route) => [
    route.route,
    count(route.count),
    percent(route.share),
    `${percent(route.low)} - ${percent(route.high)}`,
    percent(route.expected),
    route.consistent ? 'ok' : 'OFF',
  ]);
  return [
    `Split over ${count(split.responses)} responses with x-ruta (99% Wilson interval; expected ${expected}):`,
    table([['route', 'responses', 'share', '99% CI', 'expected', ''], ...rows]),
    `  verdict: ${split.verdict}: ${split.reason}`,
  ].join('\n');
}

function selfCheckSection(summary: LoadSummary): string {
  const check = summary.selfCheck;
  const loop = check.eventLoopMetrics
    ? `, event loop busy ${percent(check.eventLoopUtilization)}, loop delay p99 ${ms(check.eventLoopDelayMs.p99)} ms`
    : ' (event-loop metrics unavailable in this runtime, CPU checked alone)';
  const figures = `CPU ${check.cpuCores.toFixed(2)} cores (${check.cpuSeconds.toFixed(1)} s)${loop}`;
  const lag = check.sendLagMs === null ? '' : `, send lag p99 ${ms(check.sendLagMs.p99)} ms`;
  if (check.valid) return `Client self-check: ${figures}${lag}: the client kept up.`;
  return [
    `Client self-check: ${figures}${lag}.`,
    '  NOT A VALID MEASUREMENT: the load generator itself was the bottleneck, so latencies include its own delays:',
    ...check.reasons.map((reason) => `  - ${reason}`),
    '  Lower --users/--rate, or run several load generators.',
  ].join('\n');
}

function thresholdSection(summary: LoadSummary): string {
  const lines = summary.thresholds.results.map((result) => `  ${result.passed ? 'pass' : 'FAIL'}  ${result.message}`);
  return ['Thresholds:', ...lines].join('\n');
}

function clock(iso: string): string {
  return iso.slice(11, 19);
}

/** Formats the live view's lines for a terminal: progress bar, a row per route, failures and split. */
export function formatLive(progress: Progress): string[] {
  const point = progress.point;
  const rows = [['', 'reqs', 'fails', 'req/s', 'p50', 'p95', 'p99 ms']];
  const liveRow = (name: string, stats: IntervalStats) => {
    const window = stats.windowPercentilesMs;
    return [name, count(stats.totalRequests), count(stats.totalFailures), rate(stats.currentRps), ms(window?.['50'] ?? 0), ms(window?.['95'] ?? 0), ms(window?.['99'] ?? 0)];
  };
  for (const name of Object.keys(point.routes).sort()) rows.push(liveRow(name, point.routes[name]));
  rows.push(liveRow('total', point.total));

  return [
    `${progressBar(progress)}  ${usersText(progress)}`,
    table(rows),
    `  ${splitText(point.routes, point.total.totalRequests)}${progress.stopping ? '   stopping: waiting for requests in flight' : ''}`,
  ];
}

/** Formats one plain progress line, printed per interval when stderr is not a terminal. */
export function formatLiveLine(progress: Progress): string {
  const point = progress.point;
  const window = point.total.windowPercentilesMs;
  return [
    `[${timeText(progress)}]`,
    usersText(progress),
    `reqs ${point.total.totalRequests}`,
    `fails ${point.total.totalFailures}`,
    `req/s ${rate(point.total.currentRps)}`,
    `p50 ${ms(window?.['50'] ?? 0)} p95 ${ms(window?.['95'] ?? 0)} p99 ${ms(window?.['99'] ?? 0)} ms`,
    splitText(point.routes, point.total.totalRequests),
  ].join('  ');
}

function progressBar(progress: Progress): string {
  const fraction = progressFraction(progress);
  const filled = Math.round(fraction * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${timeText(progress)}`;
}

function progressFraction(progress: Progress): number {
  if (progress.durationMs !== null) return Math.min(1, progress.elapsedMs / progress.durationMs);
  if (progress.requestLimit !== null) return Math.min(1, progress.requestsIssued / progress.requestLimit);
  return 0;
}

function timeText(progress: Progress): string {
  // Ticks land a few ms either side of each second; whole seconds read steadier.
  const elapsed = formatDuration(Math.round(progress.elapsedMs / 1000) * 1000);
  if (progress.durationMs !== null) {
    const remaining = Math.max(0, Math.round((progress.durationMs - progress.elapsedMs) / 1000) * 1000);
    return `${elapsed} / ${formatDuration(progress.durationMs)}, ${formatDuration(remaining)} left`;
  }
  if (progress.requestLimit !== null) return `${elapsed}, ${count(progress.requestsIssued)} / ${count(progress.requestLimit)} requests`;
  return elapsed;
}

function usersText(progress: Progress): string {
  if (progress.model === 'closed') return `users ${progress.users}/${progress.targetUsers}`;
  return `in flight ${progress.point.inFlight}`;
}

function splitText(routes: Record<string, IntervalStats>, total: number): string {
  const known = Object.entries(routes).filter(([name]) => name !== 'unknown');
  const responses = known.reduce((sum, [, stats]) => sum + stats.totalRequests, 0);
  if (responses === 0 || total === 0) return 'split: no data yet';
  return `split: ${known.sort(([a], [b]) => a.localeCompare(b)).map(([name, stats]) => `${name} ${percent(stats.totalRequests / responses)}`).join(' / ')}`;
}

/**
 * Creates the progress callback of a run: on a terminal it redraws the live
 * table in place, elsewhere it prints one line every `plainIntervalMs`.
 */
export function createLiveView(stream: NodeJS.WriteStream, plainIntervalMs: number): (progress: Progress) => void {
  if (stream.isTTY) {
    let drawn = 0;
    return function redraw(progress) {
      const text = formatLive(progress).join('\n');
      // Move to the start of the previous drawing and clear it.
      const clear = drawn > 0 ? `\x1b[${drawn}F\x1b[J` : '';
      stream.write(`${clear}${text}\n`);
      drawn = text.split('\n').length;
    };
  }

  let lastMs = 0;
  return function printLine(progress) {
    if (progress.elapsedMs - lastMs < plainIntervalMs - 500) return;
    lastMs = progress.elapsedMs;
    stream.write(`${formatLiveLine(progress)}\n`);
  };
}
