import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PoolEntry } from '../lib/load/pool.ts';
import { formatReport } from '../lib/load/report.ts';
import { runLoad } from '../lib/load/run.ts';
import { poolRecords, startFakeNotas, type FakeNotas } from './helpers/load-server.ts';

function entries(valid: number, invalid = 0): PoolEntry[] {
  return poolRecords(valid, invalid).map((record, index) => {
    const { _invalid: reason, ...body } = record;
    return { index, body: Buffer.from(JSON.stringify(body)), invalid: reason === undefined ? null : String(reason) };
  });
}

const servers: FakeNotas[] = [];
async function server(options: Parameters<typeof startFakeNotas>[0] = {}): Promise<FakeNotas> {
  const started = await startFakeNotas(options);
  servers.push(started);
  return started;
}

const Run = suite('load run');

Run.after(async () => {
  await Promise.all(servers.map((started) => started.close()));
});

Run('closed model acknowledges every 2xx', async () => {
  const notas = await server();
  const result = await runLoad({ url: notas.url, pool: entries(50), users: 8, spawnRate: 1000, requests: 400, runId: 'ack' });

  assert.is(result.summary.total.requests, 400);
  assert.is(result.unexpected, 0);
  assert.is(result.acknowledged.length, 400);
  assert.is(result.uncertain.length, 0);
  assert.is(result.summary.stopReason, 'requests');
  assert.is(new Set(notas.keys).size, 400);
  assert.ok(notas.keys.every((key) => /^ack:\d+$/.test(key)), notas.keys[0]);
  assert.equal(result.acknowledged[0], { key: result.acknowledged[0].key, id: result.acknowledged[0].key, ruta: result.acknowledged[0].ruta, status: 201 });
  assert.equal(result.summary.routes.map((route) => [route.name, route.requests]), [['/notas [cache]', 200], ['/notas [grpc]', 200]]);
  assert.is(result.summary.split.verdict, 'consistent');
  assert.ok(result.summary.thresholds.passed);
});

Run('invalid records rejected with 400 succeed', async () => {
  const notas = await server();
  const result = await runLoad({ url: notas.url, pool: entries(9, 1), users: 4, requests: 200 });

  assert.is(result.summary.invalid.sent, 20);
  assert.is(result.invalidRejected, 20);
  assert.is(result.summary.invalid.accepted, 0);
  assert.is(result.unexpected, 0);
  assert.is(result.summary.total.failures, 0);
  assert.is(result.acknowledged.length, 180);
});

Run('failures grouped by status', async () => {
  const notas = await server({ failEvery: 20 });
  const result = await runLoad({ url: notas.url, pool: entries(10), users: 4, requests: 200, thresholds: { maxFailureRatio: 0.01 } });

  assert.is(result.summary.total.failures, 10);
  assert.is(result.unexpected, 10);
  assert.is(result.summary.failures.length, 1);
  assert.is(result.summary.failures[0].kind, 'HTTP 503');
  assert.is(result.summary.failures[0].occurrences, 10);
  assert.match(result.summary.failures[0].sample, /writer unavailable/);
  assert.is(result.summary.thresholds.passed, false);
});

Run('5xx is failure and uncertain', async () => {
  const notas = await server({ failEvery: 20 });
  const result = await runLoad({ url: notas.url, pool: entries(10), users: 4, requests: 200, runId: 'five' });

  assert.is(result.unexpected, 10);
  assert.is(result.summary.thresholds.passed, false);
  assert.is(result.uncertain.length, 10);
  assert.is(result.summary.uncertain, 10);
  assert.ok(result.uncertain.every((entry) => entry.kind === 'HTTP 503'), JSON.stringify(result.uncertain[0]));
  const failedKeys = notas.keys.filter((_, index) => (index + 1) % 20 === 0).sort();
  assert.equal(result.uncertain.map((entry) => entry.key).sort(), failedKeys);
  assert.is(result.acknowledged.length, 190);
});

Run('invalid record 4xx not uncertain', async () => {
  const notas = await server();
  const result = await runLoad({ url: notas.url, pool: entries(4, 1), users: 2, requests: 50 });

  assert.is(result.invalidRejected, 10);
  assert.is(result.uncertain.length, 0);
});

Run('timeout is reported as uncertain', async () => {
  const notas = await server({ hangAt: 3 });
  const result = await runLoad({ url: notas.url, pool: entries(5), users: 2, requests: 20, timeoutMs: 300, runId: 'hang' });

  assert.is(result.summary.total.requests, 20);
  assert.is(result.uncertain.length, 1);
  assert.is(result.uncertain[0].kind, 'timeout');
  assert.is(result.uncertain[0].key, notas.keys[2]);
  assert.is(result.summary.failures[0].kind, 'timeout');
  assert.is(result.summary.failures[0].route, 'unknown');
  assert.is(result.acknowledged.length, 19);
});

Run('refused connection is not uncertain', async () => {
  const notas = await server();
  await notas.close();
  servers.splice(servers.indexOf(notas), 1);
  const result = await runLoad({ url: notas.url, pool: entries(5), users: 1, requests: 3 });

  assert.is(result.summary.total.failures, 3);
  assert.is(result.summary.failures[0].kind, 'connection refused');
  assert.is(result.uncertain.length, 0);
});

Run('signal stops with a report', async () => {
  const notas = await server();
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 300);
  const result = await runLoad({ url: notas.url, pool: entries(5), users: 2, durationMs: 60_000, signal: stop.signal });

  assert.is(result.summary.stopReason, 'signal');
  assert.ok(result.summary.total.requests > 0);
  assert.ok(result.summary.elapsedSeconds < 60);
});

Run('open model shows a server stall', async () => {
  // The server delays every response for 1 s once, after 100 requests. An
  // open model keeps sending on schedule, so about a third of 3 s at 200
  // req/s waits, and latency counted from the scheduled time puts that in p99.
  const notas = await server({ stallAt: 100, stallMs: 1000 });
  const result = await runLoad({ url: notas.url, pool: entries(10), rate: 200, durationMs: 3000 });

  const p99 = result.summary.total.percentilesMs['99'];
  assert.ok(p99 >= 900, `p99 ${p99} ms should reflect the 1 s stall`);
  assert.ok(result.summary.total.maxMs >= 950, `max ${result.summary.total.maxMs} ms`);
  assert.is(result.summary.model, 'open');
  assert.ok(result.summary.selfCheck.sendLagMs !== null);
});

for (const transport of ['net', 'undici'] as const) {
  Run(`${transport}: overload ends on time`, async () => {
    // 4 connections at 200 ms per response serve 20 req/s of the 300 req/s
    // scheduled, so the client's queue grows all run long. Queued requests
    // must time out 1 s after their scheduled send time, and the rest must
    // be dropped unsent at the stop. The elapsed bound is a correctness
    // limit, not a speed goal: without both rules the run takes about 30 s.
    const notas = await server({ delayMs: 200 });
    const result = await runLoad({ url: notas.url, pool: entries(10), rate: 300, connections: 4, durationMs: 2000, timeoutMs: 1000, transport, runId: `slow-${transport}` });
    const summary = result.summary;

    assert.ok(summary.elapsedSeconds < 2 + 1 + 3, `elapsed ${summary.elapsedSeconds} s`);
    assert.ok(summary.total.maxMs <= 1000 + 500, `max ${summary.total.maxMs} ms`);
    assert.ok(summary.notSent > 0, `notSent ${summary.notSent}`);
    assert.ok(summary.total.requests + summary.notSent <= 601, `requests ${summary.total.requests}, notSent ${summary.notSent}`);
    assert.not.ok(summary.selfCheck.valid, 'a run that dropped part of its schedule counted as a valid measurement');
    assert.ok(summary.selfCheck.reasons.some((reason) => reason.includes('scheduled requests') && reason.includes('raise --connections')), summary.selfCheck.reasons.join('; '));

    const timeouts = summary.failures.find((failure) => failure.kind === 'timeout');
    assert.ok(timeouts !== undefined, JSON.stringify(summary.failures.map((failure) => failure.kind)));
    assert.ok(timeouts.occurrences > 100, `${timeouts.occurrences} timeouts`);
    assert.is(summary.total.failures, summary.total.requests - result.acknowledged.length);

    // Requests timed out before sending cannot have been stored.
    const uncertainKeys = new Set(result.uncertain.map((entry) => entry.key));
    assert.ok(notas.keys.length <= result.acknowledged.length + uncertainKeys.size, `server received ${notas.keys.length}`);
    assert.match(formatReport(summary), /requests still queued for a connection were dropped unsent/);
  });
}

Run('closed model hides the same stall', async () => {
  // The contrast that makes the open model necessary: two users see the
  // stall in only their two pending requests.
  const notas = await server({ stallAt: 100, stallMs: 1000 });
  const result = await runLoad({ url: notas.url, pool: entries(10), users: 2, requests: 1000 });

  assert.ok(result.summary.total.maxMs >= 950, `max ${result.summary.total.maxMs} ms`);
  assert.ok(result.summary.total.percentilesMs['99'] < 500, `p99 ${result.summary.total.percentilesMs['99']} ms`);
});

Run('self-check flags a busy client', async () => {
  const notas = await server();
  const busyWait = () => {
    const until = performance.now() + 950;
    while (performance.now() < until) {
      // Keeps the event loop busy, as a saturated client would.
    }
  };
  const result = await runLoad({ url: notas.url, pool: entries(5), users: 2, durationMs: 3000, onTick: busyWait });
  const check = result.summary.selfCheck;

  assert.is(check.valid, false);
  assert.ok(check.eventLoopUtilization > 0.9, `utilization ${check.eventLoopUtilization}`);
  assert.match(check.reasons.join('\n'), /^the event loop was busy \d+% of the run \(limit 90%\): responses waited for the client/);
  assert.match(check.reasons.join('\n'), /event-loop delay p99 was \d+\.\d ms \(limit 50 ms\)/);
});

Run.run();
