import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { renderNginxConfig, readRouteWeights } from '../lib/stack/nginx.ts';
import { HTTP_ROUTE_FILE } from '../lib/stack/local.ts';

// End-to-end: `npm run local` as a user runs it, as a child process, with
// real redis-server, FerretDB, both routes and nginx.

const Local = suite('local stack');
const dir = mkdtempSync(join(tmpdir(), 'notas-local-'));

Local.after(() => rmSync(dir, { recursive: true, force: true }));

interface RunOutput {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Lists the pids that belong to one run: those whose environment contains its
 * marker, and those working in its folder. redis-server and nginx rewrite
 * their process title over the environment, so only their folder shows.
 */
function processesOf(marker: string, runDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const inEnvironment = readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`NOTAS_TEST_RUN=${marker}`);
      const inFolder = readlinkSync(`/proc/${entry}/cwd`).startsWith(runDir);
      if (inEnvironment || inFolder) pids.push(Number(entry));
    } catch {
      // The process ended while the list was read.
    }
  }
  return pids;
}

function runLocal(args: string[], marker: string, options: { until?: string; signal?: NodeJS.Signals; beforeSignal?: () => Promise<void> } = {}): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local.ts', ...args], {
      env: { ...process.env, NOTAS_TEST_RUN: marker, MONGO_URL: '', REDIS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (options.until !== undefined && !signalled && stderr.includes(options.until)) {
        signalled = true;
        const before = options.beforeSignal ?? (async () => undefined);
        before().then(
          () => child.kill(options.signal ?? 'SIGINT'),
          (error: unknown) => {
            child.kill(options.signal ?? 'SIGINT');
            reject(error);
          },
        );
      }
    });

    // Bounded: a stack that never stops fails the test instead of hanging it.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`local.ts did not end within 240 s; stderr:\n${stderr.slice(-2000)}`));
    }, 240_000);
    child.once('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

interface LocalJson {
  summary: {
    total: { requests: number; failures: number };
    routes: Array<{ route: string; requests: number }>;
    unexpected: number;
    invalid: { sent: number; rejected: number; accepted: number };
  };
  invalidRejected: number;
  unexpected: number;
  reconciliation: { ok: boolean; checks: Array<{ name: string; ok: boolean; detail: string }>; counts: { acknowledged: number; documentsInRun: number } };
}

function share(json: LocalJson, route: string): number {
  const answered = json.summary.routes.filter((row) => row.route === 'grpc' || row.route === 'cache');
  const total = answered.reduce((sum, row) => sum + row.requests, 0);
  return (answered.find((row) => row.route === route)?.requests ?? 0) / total;
}

Local('weights come from the HTTPRoute', () => {
  const weights = readRouteWeights(HTTP_ROUTE_FILE);
  assert.is(weights.get('grpc'), 50);
  assert.is(weights.get('cache'), 50);

  const config = renderNginxConfig('/tmp/x', 8080, [
    { ruta: 'grpc', address: '127.0.0.1:1', weight: weights.get('grpc') ?? 0 },
    { ruta: 'cache', address: '127.0.0.1:2', weight: weights.get('cache') ?? 0 },
  ]);
  assert.match(config, 'server 127.0.0.1:1 weight=50 max_fails=0;');
  assert.match(config, 'server 127.0.0.1:2 weight=50 max_fails=0;');
  assert.match(config, 'proxy_next_upstream off;');
});

Local('5,000 requests split and reconcile', async () => {
  const marker = randomUUID();
  const json = join(dir, 'run.json');
  const runDir = join(dir, 'run');
  const result = await runLocal(['--requests', '5000', '--users', '32', '--dir', runDir, '--port', String(await freePortNumber()), '--json', json], marker);

  assert.is(result.status, 0, `exit ${result.status}; stdout:\n${result.stdout.slice(-3000)}\nstderr:\n${result.stderr.slice(-2000)}`);
  const report = JSON.parse(readFileSync(json, 'utf8')) as LocalJson;

  assert.is(report.summary.total.requests, 5000);
  assert.is(report.unexpected, 0);
  assert.is(report.summary.total.failures, 0);
  const grpcShare = share(report, 'grpc');
  assert.ok(grpcShare >= 0.45, `grpc share ${grpcShare} below 45%`);
  assert.ok(grpcShare <= 0.55, `grpc share ${grpcShare} above 55%`);
  const cacheShare = share(report, 'cache');
  assert.ok(cacheShare >= 0.45, `cache share ${cacheShare} below 45%`);
  assert.ok(cacheShare <= 0.55, `cache share ${cacheShare} above 55%`);

  assert.ok(report.reconciliation.ok, JSON.stringify(report.reconciliation.checks.filter((check) => !check.ok)));
  assert.is(report.reconciliation.counts.acknowledged, 5000);
  assert.is(report.reconciliation.counts.documentsInRun, 5000);
  assert.match(result.stdout, 'reconciliation: exact');

  assert.equal(processesOf(marker, runDir), [], 'processes left behind after a normal end');
});

Local('invalid records get 400 and are not stored', async () => {
  const marker = randomUUID();
  const json = join(dir, 'invalid.json');
  const runDir = join(dir, 'invalid');
  const result = await runLocal(['--requests', '5000', '--users', '32', '--invalid-ratio', '0.1', '--dir', runDir, '--port', String(await freePortNumber()), '--json', json], marker);

  assert.is(result.status, 0, `exit ${result.status}; stdout:\n${result.stdout.slice(-3000)}\nstderr:\n${result.stderr.slice(-2000)}`);
  const report = JSON.parse(readFileSync(json, 'utf8')) as LocalJson;

  assert.ok(report.summary.invalid.sent > 300, `only ${report.summary.invalid.sent} invalid records sent`);
  assert.is(report.summary.invalid.rejected, report.summary.invalid.sent);
  assert.is(report.summary.invalid.accepted, 0);
  assert.is(report.unexpected, 0);

  // Only the valid records were stored: documents equal acknowledgements.
  const valid = 5000 - report.summary.invalid.sent;
  assert.is(report.reconciliation.counts.acknowledged, valid);
  assert.is(report.reconciliation.counts.documentsInRun, valid);
  assert.ok(report.reconciliation.ok);
  assert.equal(processesOf(marker, runDir), []);
});

Local('Ctrl-C during load drains and reconciles', async () => {
  const marker = randomUUID();
  const runDir = join(dir, 'interrupt');
  const result = await runLocal(['--duration', '60s', '--users', '8', '--dir', runDir, '--port', String(await freePortNumber())], marker, {
    until: 'users 8/8',
    signal: 'SIGINT',
  });

  // The load stops sending, requests in flight finish, and the stack stays up
  // for the reconciliation before it is stopped.
  assert.match(result.stdout, 'stopped by signal');
  assert.match(result.stdout, 'reconciliation: exact', result.stdout.slice(-3000));
  assert.match(result.stdout, 'Failures: none');
  assert.not.match(result.stderr, 'exited unexpectedly');
  assert.equal(processesOf(marker, runDir), [], 'processes left behind after Ctrl-C during load');
});

Local('second run in same dir reconciles', async () => {
  const runDir = join(dir, 'again');
  for (const attempt of [1, 2]) {
    const json = join(dir, `again-${attempt}.json`);
    const result = await runLocal(['--requests', '300', '--users', '8', '--dir', runDir, '--port', String(await freePortNumber()), '--json', json], randomUUID());
    assert.is(result.status, 0, `run ${attempt}: exit ${result.status}; stdout:\n${result.stdout.slice(-3000)}`);

    const report = JSON.parse(readFileSync(json, 'utf8')) as LocalJson;
    assert.ok(report.reconciliation.ok, `run ${attempt}: ${JSON.stringify(report.reconciliation.checks.filter((check) => !check.ok))}`);
  }
});

Local('Ctrl-C stops every process', async () => {
  const marker = randomUUID();
  const stateFile = join(dir, 'state.json');
  const runDir = join(dir, 'keep');
  const result = await runLocal(['--no-load', '--keep', '--state-file', stateFile, '--dir', runDir, '--port', String(await freePortNumber())], marker, { until: 'Ctrl-C stops it', signal: 'SIGINT' });

  assert.is(result.status, 0, result.stderr.slice(-2000));
  assert.not.match(result.stderr, 'exited unexpectedly', 'a deliberate stop was reported as a crash');
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  assert.match(state.ingress, /^http:\/\/127\.0\.0\.1:\d+\/notas$/);
  assert.match(state.routes.grpc, /^http:\/\/127\.0\.0\.1:\d+\/notas$/);
  assert.match(state.routes.cache, /^http:\/\/127\.0\.0\.1:\d+\/notas$/);
  assert.match(state.grpcServer, /^127\.0\.0\.1:\d+$/);
  assert.match(state.mongoUrl, /^mongodb:\/\/127\.0\.0\.1:\d+/);
  assert.match(state.redisUrl, /^redis:\/\/127\.0\.0\.1:\d+/);
  assert.equal(processesOf(marker, runDir), [], 'processes left behind after Ctrl-C');
});

Local('crashed component is reported', async () => {
  const marker = randomUUID();
  const stateFile = join(dir, 'crash-state.json');
  const runDir = join(dir, 'crash');
  let killed = false;
  const result = await runLocal(['--no-load', '--keep', '--state-file', stateFile, '--dir', runDir, '--port', String(await freePortNumber())], marker, {
    until: 'Ctrl-C stops it',
    signal: 'SIGINT',
    beforeSignal: async () => {
      // Kill the stack's redis-server as a crash would, then give local.ts a moment to notice.
      const redisPid = processesOf(marker, runDir).find((pid) => readFileSync(`/proc/${pid}/comm`, 'latin1').startsWith('redis-server'));
      assert.ok(redisPid !== undefined, 'redis-server of the stack not found');
      process.kill(redisPid, 'SIGKILL');
      killed = true;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    },
  });

  assert.ok(killed);
  assert.match(result.stderr, /redis exited unexpectedly \(code null, signal SIGKILL\)/);
  assert.equal(processesOf(marker, runDir), [], 'processes left behind after a crash and Ctrl-C');
});

Local('taken port fails start and cleans up', async () => {
  const marker = randomUUID();
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;

  try {
    const runDir = join(dir, 'clash');
    const result = await runLocal(['--requests', '10', '--dir', runDir, '--port', String(port)], marker);
    assert.is(result.status, 1);
    assert.match(result.stderr, 'nginx exited before it was ready');
    assert.match(result.stderr, 'Address already in use');
    assert.equal(processesOf(marker, runDir), [], 'processes left behind after a failed start');
  } finally {
    blocker.close();
  }
});

Local('bad option exits 2', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/local.ts', '--users', 'many'], { encoding: 'utf8' });
  assert.is(result.status, 2);
  assert.match(result.stderr, 'invalid --users "many": expected an integer from 1 to 10000');
});

function freePortNumber(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

Local.run();
