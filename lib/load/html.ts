import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { count, ms, percent, rate } from './format.ts';
import { PERCENTILES } from './histogram.ts';
import { notSentNote } from './report.ts';
import type { LoadSummary, RouteSummary } from './summary.ts';
import { runVerdict, type VerificationReport } from './verdict.ts';

const require = createRequire(import.meta.url);

/** Series the charts plot, one value per second of the run. */
interface ChartData {
  time: number[];
  routes: string[];
  rps: Record<string, number[]>;
  failures: number[];
  latency: { p50: Array<number | null>; p95: Array<number | null>; p99: Array<number | null>; max: Array<number | null> };
  routeP95: Record<string, Array<number | null>>;
  routeP99: Record<string, Array<number | null>>;
  share: Record<string, Array<number | null>>;
  users: number[];
  clientBusy: number[];
}

/**
 * A final interval shorter than this is left out of the charts: a few
 * hundredths of a second hold a handful of responses, so its rate and its
 * split per route are noise (a 100/0 split, a spike or dip in req/s).
 * The totals and the CSV history still include it.
 */
export const MIN_CHARTED_INTERVAL_SECONDS = 0.5;

export function chartData(summary: LoadSummary): ChartData {
  const routes = summary.routes.map((route) => route.route ?? '').filter((route) => route !== '');
  const known = routes.filter((route) => route !== 'unknown');
  const history = chartedHistory(summary);
  const started = Date.parse(summary.startedAt) / 1000;
  // A kept last interval may still be shorter than a second; rates are per second of it.
  const perSecond = (value: number, index: number) => value / Math.max(history[index].intervalSeconds, 0.001);
  const perRoute = <T>(pick: (routeName: string, index: number) => T) =>
    Object.fromEntries(routes.map((route) => [route, history.map((_, index) => pick(route, index))]));

  return {
    time: history.map((point) => started + point.elapsedSeconds),
    routes,
    rps: perRoute((route, index) => perSecond(history[index].routes[route]?.requests ?? 0, index)),
    failures: history.map((point, index) => perSecond(point.total.failures, index)),
    // A second without responses has no latency: null leaves a gap in the
    // chart instead of drawing a fast 0 ms.
    latency: {
      p50: history.map((point) => (point.total.requests === 0 ? null : point.total.p50Ms)),
      p95: history.map((point) => (point.total.requests === 0 ? null : point.total.p95Ms)),
      p99: history.map((point) => (point.total.requests === 0 ? null : point.total.p99Ms)),
      max: history.map((point) => (point.total.requests === 0 ? null : point.total.maxMs)),
    },
    routeP95: perRoute((route, index) => (history[index].routes[route]?.requests ? history[index].routes[route].p95Ms : null)),
    routeP99: perRoute((route, index) => (history[index].routes[route]?.requests ? history[index].routes[route].p99Ms : null)),
    share: Object.fromEntries(known.map((route) => [route, history.map((point) => {
      const responses = known.reduce((sum, name) => sum + (point.routes[name]?.requests ?? 0), 0);
      return responses === 0 ? null : (100 * (point.routes[route]?.requests ?? 0)) / responses;
    })])),
    users: history.map((point) => point.users),
    clientBusy: history.map((point) => 100 * (point.client?.eventLoopUtilization ?? 0)),
  };
}

function chartedHistory(summary: LoadSummary): LoadSummary['history'] {
  const history = summary.history;
  const last = history[history.length - 1];
  if (history.length > 1 && last.intervalSeconds < MIN_CHARTED_INTERVAL_SECONDS) return history.slice(0, -1);
  return history;
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

// JSON inside <script> must not contain "</" or it would close the element.
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll('</', '<\\/').replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
}

function routeRows(summary: LoadSummary): string {
  const row = (route: RouteSummary) => `<tr><td>${escapeHtml(route.name)}</td><td>${count(route.requests)}</td><td>${count(route.failures)}</td><td>${rate(route.rps)}</td><td>${ms(route.minMs)}</td>${PERCENTILES.map((percentile) => `<td>${ms(route.percentilesMs[String(percentile)])}</td>`).join('')}</tr>`;
  return [...summary.routes.map(row), row(summary.total).replace('<tr>', '<tr class="total">')].join('\n');
}

function failureRows(summary: LoadSummary): string {
  if (summary.failures.length === 0) return '<tr><td colspan="5">none</td></tr>';
  return summary.failures
    .map((failure) => `<tr><td>${escapeHtml(failure.name)}</td><td class="text">${escapeHtml(failure.kind)}</td><td>${count(failure.occurrences)}</td><td>${escapeHtml(failure.firstSeen)}<br>${escapeHtml(failure.lastSeen)}</td><td class="text"><code>${escapeHtml(failure.sample)}</code></td></tr>`)
    .join('\n');
}

function splitRows(summary: LoadSummary): string {
  return summary.split.routes
    .map((route) => `<tr><td>${escapeHtml(route.route)}</td><td>${count(route.count)}</td><td>${percent(route.share)}</td><td>${percent(route.low)} - ${percent(route.high)}</td><td>${percent(route.expected)}</td><td class="${route.consistent ? 'ok' : 'bad'}">${route.consistent ? 'ok' : 'off'}</td></tr>`)
    .join('\n');
}

function verdicts(summary: LoadSummary): string {
  const check = summary.selfCheck;
  const self = check.valid
    ? `<p class="ok">Client self-check: the load generator kept up (CPU ${check.cpuCores.toFixed(2)} cores, event loop busy ${percent(check.eventLoopUtilization)}).</p>`
    : `<p class="bad"><strong>Not a valid measurement:</strong> the load generator was the bottleneck.</p><ul>${check.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join('')}</ul>`;
  const thresholds = summary.thresholds.results
    .map((result) => `<li class="${result.passed ? 'ok' : 'bad'}">${result.passed ? 'pass' : 'FAIL'}: ${escapeHtml(result.message)}</li>`)
    .join('');
  return `${self}<h2>Thresholds</h2><ul>${thresholds}</ul>`;
}

function resultLine(summary: LoadSummary, verification: VerificationReport | null): string {
  const verdict = runVerdict(summary, verification);
  const checked = verification === null ? 'thresholds' : 'thresholds and reconciliation';
  if (verdict.passed) return `<p id="result" class="ok"><strong>Result: PASSED</strong> (${checked}).</p>`;

  const reasons = verdict.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join('');
  return `<p id="result" class="bad"><strong>Result: FAILED</strong> (${checked}):</p><ul>${reasons}</ul>`;
}

function unexpectedLine(summary: LoadSummary): string {
  if (summary.unexpected === 0) return '<p class="ok">Unexpected failures: none.</p>';
  const uncertain = summary.uncertain === 0 ? '' : `; ${count(summary.uncertain)} requests are uncertain (timed out, reset after sending, or 5xx), so their records may be stored`;
  return `<p class="bad">Unexpected failures: ${count(summary.unexpected)} of ${count(summary.total.requests)} requests${uncertain}.</p>`;
}

function verificationSection(verification: VerificationReport | null): string {
  if (verification === null) {
    return '<h2>Reconciliation: not run</h2>\n<p>Verification was not run: add --verify to check the stored documents against the acknowledged requests.</p>';
  }

  const rows = verification.checks.map((check) => {
    const examples = check.ok || (check.examples ?? []).length === 0 ? '' : `<br><code>${check.examples!.map(escapeHtml).join('<br>')}</code>`;
    return `<tr><td class="text">${escapeHtml(check.name)}</td><td class="${check.ok ? 'ok' : 'bad'}">${check.ok ? 'ok' : 'FAIL'}</td><td class="text">${escapeHtml(check.detail)}${examples}</td></tr>`;
  });
  const counts = verification.counts;
  const byRoute = Object.entries(counts.acknowledgedByRoute).map(([route, value]) => `${escapeHtml(route)} ${count(value)}`).join(', ');
  return `<h2>Reconciliation: <span class="${verification.ok ? 'ok' : 'bad'}">${verification.ok ? 'exact' : 'MISMATCH'}</span></h2>
<table id="reconciliation">
<tr><th>check</th><th>result</th><th>detail</th></tr>
${rows.join('\n')}
</table>
<p>Acknowledged ${count(counts.acknowledged)} (${byRoute}); ${count(counts.documentsInRun)} documents in the run; uncertain ${count(counts.uncertain)}, of which stored ${count(counts.uncertainStored)}.</p>`;
}

const CHART_SCRIPT = `
const data = JSON.parse(document.getElementById('chart-data').textContent);
const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const width = () => Math.min(1100, document.body.clientWidth - 40);
function chart(id, title, unit, named, yRange) {
  const series = [{}].concat(named.map(([label, values], index) => ({ label, stroke: palette[index % palette.length], width: 2, spanGaps: true })));
  const scales = { x: { time: true } };
  if (yRange) scales.y = { range: yRange };
  const options = { title, width: width(), height: 260, series, axes: [{}, { label: unit }], scales };
  new uPlot(options, [data.time].concat(named.map(([, values]) => values)), document.getElementById(id));
}
const perRoute = (table) => data.routes.filter((route) => table[route]).map((route) => [route, table[route]]);
const totalRps = data.time.map((_, index) => data.routes.reduce((sum, route) => sum + data.rps[route][index], 0));
chart('chart-rps', 'Requests per second', 'req/s', [['total', totalRps]].concat(perRoute(data.rps)));
chart('chart-failures', 'Failures per second', 'failures/s', [['failures', data.failures]]);
chart('chart-latency', 'Latency percentiles per second', 'ms', [['p50', data.latency.p50], ['p95', data.latency.p95], ['p99', data.latency.p99], ['max', data.latency.max]]);
chart('chart-route-latency', 'p95 and p99 per route', 'ms', perRoute(data.routeP95).map(([route, values]) => [route + ' p95', values]).concat(perRoute(data.routeP99).map(([route, values]) => [route + ' p99', values])));
chart('chart-split', 'Share of responses per route', '%', Object.keys(data.share).map((route) => [route, data.share[route]]), [0, 100]);
chart('chart-users', 'Users (closed model) or requests in flight (open model), and client event-loop busy %', 'count / %', [['users', data.users], ['client busy %', data.clientBusy]]);
document.body.dataset.charts = 'rendered';
`;

/**
 * Builds a self-contained HTML report: uPlot, its CSS and the data are
 * inlined, so it opens offline. `verification` is the --verify result, null
 * when it was not run.
 */
export async function renderHtml(summary: LoadSummary, verification: VerificationReport | null = null): Promise<string> {
  const uplotScript = await readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = await readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const title = `Load report ${summary.runId}: ${count(summary.total.requests)} requests, ${rate(summary.total.rps)} req/s`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>${uplotCss}</style>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 20px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 16px; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td:first-child, th:first-child, td.text { text-align: left; }
tr.total { font-weight: bold; }
.ok { color: #1a7f37; } .bad { color: #c62828; }
.chart { margin: 12px 0; }
code { font-size: 12px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${resultLine(summary, verification)}
<p>POST ${escapeHtml(summary.url)}, ${summary.model} model, ${escapeHtml(summary.startedAt)} to ${escapeHtml(summary.endedAt)} (${summary.elapsedSeconds.toFixed(1)} s), stopped by ${summary.stopReason}${escapeHtml(notSentNote(summary))}.</p>
${unexpectedLine(summary)}
${verdicts(summary)}
${verificationSection(verification)}
<h2>Requests and latency (ms)</h2>
<table>
<tr><th>Name</th><th>reqs</th><th>fails</th><th>req/s</th><th>min</th>${PERCENTILES.map((percentile) => `<th>p${percentile}</th>`).join('')}</tr>
${routeRows(summary)}
</table>
<h2>Split (99% Wilson interval): ${escapeHtml(summary.split.verdict)}</h2>
<p>${escapeHtml(summary.split.reason)}</p>
<table>
<tr><th>route</th><th>responses</th><th>share</th><th>99% CI</th><th>expected</th><th></th></tr>
${splitRows(summary)}
</table>
<h2>Failures</h2>
<table>
<tr><th>Name</th><th>kind</th><th>occurrences</th><th>first / last seen</th><th>first sample</th></tr>
${failureRows(summary)}
</table>
<h2>Over time</h2>
<div class="chart" id="chart-rps"></div>
<div class="chart" id="chart-failures"></div>
<div class="chart" id="chart-latency"></div>
<div class="chart" id="chart-route-latency"></div>
<div class="chart" id="chart-split"></div>
<div class="chart" id="chart-users"></div>
<script type="application/json" id="chart-data">${scriptJson(chartData(summary))}</script>
<script>${uplotScript.replaceAll('</script', '<\\/script')}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;
}

export async function writeHtml(path: string, summary: LoadSummary, verification: VerificationReport | null = null): Promise<void> {
  await writeFile(path, await renderHtml(summary, verification));
}
