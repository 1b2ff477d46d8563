import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chartData, MIN_CHARTED_INTERVAL_SECONDS } from '../lib/load/html.ts';
import type { PoolEntry } from '../lib/load/pool.ts';
import { runLoad, type LoadResult } from '../lib/load/run.ts';
import type { LoadSummary } from '../lib/load/summary.ts';
import { poolRecords, startFakeNotas, type FakeNotas } from './helpers/load-server.ts';

const Charts = suite('load chart data');
let notas: FakeNotas;
let result: LoadResult;

Charts.before(async () => {
  notas = await startFakeNotas();
  const pool: PoolEntry[] = poolRecords(10).map((record, index) => ({ index, body: Buffer.from(JSON.stringify(record)), invalid: null }));
  // 2.05 s: two whole seconds, then a final interval of about 0.05 s.
  result = await runLoad({ url: notas.url, pool, users: 2, durationMs: 2050 });
});

Charts.after(async () => {
  await notas.close();
});

/** Copies the summary with the last interval's length set to `seconds`. */
function withLastInterval(summary: LoadSummary, seconds: number): LoadSummary {
  const history = summary.history.map((point) => ({ ...point }));
  history[history.length - 1].intervalSeconds = seconds;
  return { ...summary, history };
}

Charts('short last interval dropped', () => {
  const history = result.summary.history;
  const last = history[history.length - 1];
  assert.ok(last.intervalSeconds < MIN_CHARTED_INTERVAL_SECONDS, `last interval ${last.intervalSeconds} s`);

  const data = chartData(result.summary);
  assert.is(data.time.length, history.length - 1);
  assert.is(data.failures.length, history.length - 1);
  assert.is(data.users.length, history.length - 1);
  for (const route of data.routes) assert.is(data.rps[route].length, history.length - 1, route);
  for (const route of Object.keys(data.share)) {
    const shares = data.share[route];
    assert.ok(shares.every((share) => share !== null && share > 20 && share < 80), `${route}: ${shares.join(', ')}`);
  }
});

Charts('long last interval kept and scaled', () => {
  const summary = withLastInterval(result.summary, 0.8);
  const history = summary.history;
  const last = history[history.length - 1];
  const data = chartData(summary);

  assert.is(data.time.length, history.length);
  for (const route of data.routes) {
    const requests = last.routes[route]?.requests ?? 0;
    assert.is(data.rps[route][history.length - 1], requests / 0.8, route);
  }
});

Charts('single short interval kept', () => {
  const summary = { ...result.summary, history: result.summary.history.slice(-1) };
  assert.is(chartData(summary).time.length, 1);
});

Charts('empty second has no latency', () => {
  const history = result.summary.history.map((point) => ({ ...point, routes: { ...point.routes } }));
  const quiet = history[0];
  history[0] = {
    ...quiet,
    total: { ...quiet.total, requests: 0 },
    routes: Object.fromEntries(Object.entries(quiet.routes).map(([route, stats]) => [route, { ...stats, requests: 0 }])),
  };

  const data = chartData({ ...result.summary, history });
  assert.is(data.latency.p99[0], null);
  assert.is(data.latency.max[0], null);
  for (const route of data.routes) assert.is(data.routeP99[route][0], null, route);
  assert.type(data.latency.p99[1], 'number');
});

Charts.run();
