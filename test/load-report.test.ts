import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PoolEntry } from '../lib/load/pool.ts';
import { formatLive, formatLiveLine, formatReport } from '../lib/load/report.ts';
import { runLoad, type LoadResult, type Progress } from '../lib/load/run.ts';
import { poolRecords, startFakeNotas, type FakeNotas } from './helpers/load-server.ts';

const Report = suite('load report');
let notas: FakeNotas;
let result: LoadResult;
const ticks: Progress[] = [];

Report.before(async () => {
  notas = await startFakeNotas({ failEvery: 40 });
  const pool: PoolEntry[] = poolRecords(10).map((record, index) => ({ index, body: Buffer.from(JSON.stringify(record)), invalid: null }));
  result = await runLoad({ url: notas.url, pool, users: 3, durationMs: 2600, onTick: (progress) => ticks.push(progress) });
});

Report.after(async () => {
  await notas.close();
});

Report('final report has every section', () => {
  const text = formatReport(result.summary);
  assert.match(text, /^[\d,]+ requests in \d+\.\d s \([\d,.]+ req\/s\), closed model, 3 users, POST http:\/\/127\.0\.0\.1:\d+\/notas\n/);
  assert.match(text, 'stopped by duration; run id ');
  assert.match(text, /Name +reqs +fails +req\/s +min +p50 +p95 +p99 +max ms/);
  assert.match(text, /Percentiles \(ms\) +50% +66% +75% +80% +90% +95% +98% +99% +99\.9% +99\.99% +100%/);
  assert.match(text, /x HTTP 503 on \/notas \[grpc\], first \d\d:\d\d:\d\d, last \d\d:\d\d:\d\d/);
  assert.match(text, 'Split over ');
  assert.match(text, 'verdict: consistent: every expected share lies inside its 99% interval');
  assert.match(text, 'Client self-check: CPU ');
  assert.match(text, /FAIL {2}failure ratio 0\.02\d\d \(\d+ of \d+\) exceeds --max-failure-ratio 0/);
});

Report('live view draws bar and routes', () => {
  assert.ok(ticks.length >= 2, `${ticks.length} ticks`);
  const lines = formatLive(ticks[1]).join('\n').split('\n');
  assert.match(lines[0], /^\[#+\.*\] \ds \/ 3s, \ds left {2}users 3\/3$/);
  assert.match(lines[1], /reqs +fails +req\/s +p50 +p95 +p99 ms/);
  assert.match(lines[2], /^ {2}cache /);
  assert.match(lines[3], /^ {2}grpc /);
  assert.match(lines[4], /^ {2}total /);
  assert.match(lines[5], /split: cache 50\.\d% \/ grpc 49\.\d%|split: cache 49\.\d% \/ grpc 50\.\d%|split: cache 50\.0% \/ grpc 50\.0%/);
});

Report('plain line has the figures', () => {
  const line = formatLiveLine(ticks[0]);
  assert.match(line, /^\[\ds \/ 3s, \ds left\] {2}users 3\/3 {2}reqs \d+ {2}fails \d+ {2}req\/s [\d,.]+ {2}p50 [\d.]+ p95 [\d.]+ p99 [\d.]+ ms {2}split: /);
});

Report.run();
