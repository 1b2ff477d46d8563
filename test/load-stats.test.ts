import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration, formatDuration } from '../lib/load/duration.ts';
import { LatencyHistogram, PERCENTILES } from '../lib/load/histogram.ts';
import { requestsDueBy, scheduledTime } from '../lib/load/run.ts';
import { checkSplit, parseWeights, wilsonInterval } from '../lib/load/split.ts';
import { StatsCollector } from '../lib/load/stats.ts';
import { summarizeRoute } from '../lib/load/summary.ts';
import { evaluateThresholds } from '../lib/load/thresholds.ts';

// 1 to 100 ms in 1 ms steps, plus one outlier of 1,234 ms, so every statistic has a known value.
const SYNTHETIC_MS = [...Array.from({ length: 100 }, (_, i) => i + 1), 1234];

function syntheticHistogram(): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (const value of SYNTHETIC_MS) histogram.record(value * 1000);
  return histogram;
}

const Histogram = suite('load histogram');

Histogram('p100 equals the exact max', () => {
  const histogram = syntheticHistogram();
  assert.is(histogram.percentileUs(100), 1_234_000);
  assert.is(histogram.percentilesMs()['100'], 1234);
  assert.is(histogram.maxUs, 1_234_000);
});

Histogram('min and count are exact', () => {
  const histogram = syntheticHistogram();
  assert.is(histogram.minUs, 1000);
  assert.is(histogram.count, 101);
  assert.ok(Math.abs(histogram.meanUs() / 1000 - (5050 + 1234) / 101) < 1e-9);
});

Histogram('percentiles within 0.1% of the exact rank', () => {
  const histogram = syntheticHistogram();
  // Nearest rank over 101 values: p50 is the 51st (51 ms), p99 the 100th (100 ms).
  const expected: Record<string, number> = { '50': 51, '66': 67, '75': 76, '80': 81, '90': 91, '95': 96, '98': 99, '99': 100 };
  for (const [label, value] of Object.entries(expected)) {
    const got = histogram.percentilesMs()[label];
    assert.ok(Math.abs(got - value) <= value * 0.001, `p${label}: expected ${value} ms, got ${got} ms`);
  }
});

Histogram('percentiles never decrease', () => {
  const values = syntheticHistogram().percentilesMs();
  const ordered = PERCENTILES.map((percentile) => values[String(percentile)]);
  for (let i = 1; i < ordered.length; i++) {
    assert.ok(ordered[i] >= ordered[i - 1], `p${PERCENTILES[i]} = ${ordered[i]} is below p${PERCENTILES[i - 1]} = ${ordered[i - 1]}`);
  }
  assert.is(ordered[ordered.length - 1], 1234);
});

Histogram('outlier sits above p99', () => {
  const values = syntheticHistogram().percentilesMs();
  assert.ok(values['99.9'] > 1000, `p99.9 should reach the outlier, got ${values['99.9']}`);
});

Histogram('export lists buckets and encoding', () => {
  const exported = syntheticHistogram().export();
  assert.is(exported.unit, 'us');
  assert.is(exported.buckets.reduce((sum, [, count]) => sum + count, 0), 101);
  assert.ok(exported.encoded.startsWith('HISTF'), exported.encoded.slice(0, 10));
});

Histogram('empty histogram reports zeros', () => {
  const histogram = new LatencyHistogram();
  assert.is(histogram.percentileUs(99), 0);
  assert.is(histogram.meanUs(), 0);
});

Histogram.run();

const Collector = suite('load stats collector');

Collector('rps is completed over elapsed', () => {
  const collector = new StatsCollector();
  for (const value of SYNTHETIC_MS) collector.record('grpc', value * 1000, null, 30, () => '', 0);
  collector.tick(Date.now(), 10, 1, 0);

  const summary = summarizeRoute(collector.route('grpc'), 'grpc', '/notas [grpc]', 10);
  assert.is(summary.requests, 101);
  assert.is(summary.rps, 10.1);
  assert.is(summary.percentilesMs['100'], 1234);
  assert.is(summary.minMs, 1);
  assert.is(summary.meanContentBytes, 30);
});

Collector('aggregate is the sum of routes', () => {
  const collector = new StatsCollector();
  for (let i = 1; i <= 60; i++) collector.record('grpc', i * 1000, null, 10, () => '', 0);
  for (let i = 1; i <= 40; i++) collector.record('cache', i * 500, i % 10 === 0 ? 'HTTP 503' : null, 10, () => 'busy', 0);
  collector.tick(Date.now(), 1, 2, 0);
  collector.record('grpc', 1_234_000, null, 10, () => '', 0);
  collector.tick(Date.now(), 2, 2, 0);

  assert.is(collector.total.requests, 101);
  assert.is(collector.total.failures, 4);
  assert.is(collector.total.cumulative.count, 101);
  assert.is(collector.total.cumulative.maxUs, 1_234_000);
  assert.is(collector.total.cumulative.minUs, 500);
});

Collector('failures grouped with first and last seen', () => {
  const collector = new StatsCollector();
  collector.record('cache', 1000, 'HTTP 503', 0, () => 'first body', 1_000);
  collector.record('cache', 1000, 'HTTP 503', 0, () => 'second body', 5_000);
  collector.record('unknown', 1000, 'timeout', 0, () => 'timed out', 3_000);

  const groups = collector.sortedFailures();
  assert.is(groups.length, 2);
  assert.equal(groups[0], { route: 'cache', kind: 'HTTP 503', sample: 'first body', occurrences: 2, firstSeen: 1_000, lastSeen: 5_000 });
  assert.is(groups[1].kind, 'timeout');
});

Collector('history keeps one point per tick', () => {
  const collector = new StatsCollector();
  for (let second = 1; second <= 3; second++) {
    for (let i = 0; i < second * 10; i++) collector.record('grpc', 2000, null, 0, () => '', 0);
    collector.tick(second * 1000, second, 5, 0);
  }
  assert.is(collector.history.length, 3);
  assert.equal(collector.history.map((point) => point.total.requests), [10, 20, 30]);
  assert.is(collector.history[2].total.totalRequests, 60);
  assert.is(collector.history[2].total.currentRps, 20);
});

Collector.run();

const Split = suite('load split');

Split('wilson interval of 50 in 100', () => {
  const { low, high } = wilsonInterval(50, 100);
  assert.ok(Math.abs(low - 0.3753) < 5e-4, `low ${low}`);
  assert.ok(Math.abs(high - 0.6247) < 5e-4, `high ${high}`);
});

Split('wilson interval stays in [0, 1]', () => {
  assert.equal(wilsonInterval(0, 10).low, 0);
  assert.equal(wilsonInterval(10, 10).high, 1);
});

Split('even split is consistent', () => {
  const check = checkSplit({ grpc: 500, cache: 500 }, { grpc: 50, cache: 50 });
  assert.is(check.verdict, 'consistent');
  assert.is(check.responses, 1000);
});

Split('60/40 deviates with reason', () => {
  const check = checkSplit({ grpc: 600, cache: 400, unknown: 7 }, { grpc: 50, cache: 50 });
  assert.is(check.verdict, 'deviates');
  assert.is(check.responses, 1000);
  assert.match(check.reason, /cache expected 50\.0%, observed 40\.0% \(99% CI 36\.1%-44\.0%\)/);
});

Split('missing route counts as zero', () => {
  const check = checkSplit({ cache: 100 }, { grpc: 50, cache: 50 });
  assert.is(check.verdict, 'deviates');
  assert.is(check.routes.find((route) => route.route === 'grpc')?.count, 0);
});

Split('no responses is no data', () => {
  assert.is(checkSplit({ unknown: 5 }, { grpc: 1, cache: 1 }).verdict, 'no data');
});

Split('weights parse and reject', () => {
  assert.equal(parseWeights('grpc=50,cache=50'), { grpc: 50, cache: 50 });
  assert.equal(parseWeights('grpc=3, cache=1'), { grpc: 3, cache: 1 });
  assert.is(parseWeights('grpc:50'), '"grpc:50" is not route=weight');
  assert.is(parseWeights('grpc=0'), 'weight "0" of grpc is not a number above 0');
  assert.is(parseWeights('grpc=-5,cache=1'), 'weight "-5" of grpc is not a number above 0');
  assert.is(parseWeights('grpc=half'), 'weight "half" of grpc is not a number above 0');
  assert.is(parseWeights('grpc=,cache=1'), 'weight "" of grpc is not a number above 0');
  assert.equal(parseWeights('grpc=1,other=2.5'), { grpc: 1, other: 2.5 });
});

Split.run();

const Units = suite('load units');

Units('durations parse with units', () => {
  const cases: Array<[string, number | undefined]> = [
    ['500ms', 500], ['30s', 30_000], ['2m', 120_000], ['1h', 3_600_000], ['1.5s', 1500], ['45', 45_000],
    ['', undefined], ['-1s', undefined], ['3d', undefined], ['s', undefined],
  ];
  for (const [raw, expected] of cases) assert.is(parseDuration(raw), expected, raw);
});

Units('durations format for people', () => {
  assert.is(formatDuration(0), '0s');
  assert.is(formatDuration(950), '950ms');
  assert.is(formatDuration(42_000), '42s');
  assert.is(formatDuration(125_000), '2m05s');
  assert.is(formatDuration(3_720_000), '1h02m');
});

Units('open schedule inverts its count', () => {
  for (const [rate, rampMs] of [[100, 0], [250, 2000], [1000, 10_000]]) {
    for (const n of [1, 10, 100, 1000, 5000]) {
      const at = scheduledTime(n, rate, rampMs);
      assert.ok(Math.abs(requestsDueBy(at, rate, rampMs) - n) < 1e-6, `rate ${rate} ramp ${rampMs} n ${n}`);
    }
  }
  assert.is(scheduledTime(100, 100, 0), 1000);
});

Units('thresholds name the limit', () => {
  const report = evaluateThresholds({ requests: 200, failures: 10, p95Ms: 80, p99Ms: 250 }, { maxFailureRatio: 0.01, p95MaxMs: 100, p99MaxMs: 200 });
  assert.is(report.passed, false);
  const messages = report.results.map((result) => result.message);
  assert.ok(messages.includes('failure ratio 0.0500 (10 of 200) exceeds --max-failure-ratio 0.01'), messages.join('\n'));
  assert.ok(messages.includes('p95 80.0 ms within --p95-max 100 ms'), messages.join('\n'));
  assert.ok(messages.includes('p99 250.0 ms exceeds --p99-max 200 ms'), messages.join('\n'));
});

Units('zero requests never pass', () => {
  const report = evaluateThresholds({ requests: 0, failures: 0, p95Ms: 0, p99Ms: 0 }, { maxFailureRatio: 1, p95MaxMs: null, p99MaxMs: null });
  assert.is(report.passed, false);
  assert.is(report.results[0].message, 'no request completed');
});

Units.run();
