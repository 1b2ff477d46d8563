import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { poolRecords, startFakeNotas, type FakeNotas } from './helpers/load-server.ts';

const RUN_TIMEOUT_MS = 60_000;
const NOT_RUNNING_HINT = 'check the port mapping; is `npm run local -- --keep` or the cluster running?';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  runtime?: 'node' | 'deno';
  /** Sent once stderr has printed its first progress line. */
  signalAfterProgress?: NodeJS.Signals;
}

function load(args: string[], options: RunOptions = {}): Promise<Run> {
  const command = options.runtime === 'deno'
    ? ['node_modules/.bin/deno', ['run', '-A', 'scripts/load.ts', ...args]] as const
    : [process.execPath, ['--import', 'tsx', 'scripts/load.ts', ...args]] as const;

  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command[1], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);

    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.signalAfterProgress !== undefined && !signalled && /reqs \d+/.test(stderr)) {
        signalled = true;
        child.kill(options.signalAfterProgress);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const Cli = suite('load cli');
let dir = '';
let poolPath = '';
const servers: FakeNotas[] = [];

async function server(options: Parameters<typeof startFakeNotas>[0] = {}): Promise<FakeNotas> {
  const started = await startFakeNotas(options);
  servers.push(started);
  return started;
}

Cli.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'notas-load-cli-'));
  poolPath = join(dir, 'pool.json');
  await writeFile(poolPath, JSON.stringify(poolRecords(20)));
});

Cli.after(async () => {
  await Promise.all(servers.map((started) => started.close()));
  await rm(dir, { recursive: true, force: true });
});

Cli('5% failures exceed ratio 0.01', async () => {
  const notas = await server({ failEvery: 20 });
  const run = await load(['--url', notas.url, '--pool', poolPath, '-u', '4', '-n', '400', '-q', '--max-failure-ratio', '0.01']);
  assert.is(run.code, 1, run.stderr);
  assert.match(run.stdout, 'result: FAIL (exit 1): failure ratio 0.0500 (20 of 400) exceeds --max-failure-ratio 0.01');
  assert.match(run.stdout, /20 x HTTP 503 on \/notas \[grpc\]/);
});

Cli('5% failures within ratio 0.1', async () => {
  const notas = await server({ failEvery: 20 });
  const run = await load(['--url', notas.url, '--pool', poolPath, '-u', '4', '-n', '400', '-q', '--max-failure-ratio', '0.1']);
  assert.is(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, 'pass  failure ratio 0.0500 (20 of 400) within --max-failure-ratio 0.1');
  assert.match(run.stdout, 'result: PASS (exit 0)');
});

Cli('any failure fails by default', async () => {
  const notas = await server({ failEvery: 50 });
  const run = await load(['--url', notas.url, '--pool', poolPath, '-n', '100', '-q']);
  assert.is(run.code, 1);
  assert.match(run.stdout, 'exceeds --max-failure-ratio 0');
});

Cli('p99 limit fails a slow run', async () => {
  const notas = await server({ stallAt: 2, stallMs: 400 });
  const run = await load(['--url', notas.url, '--pool', poolPath, '-u', '2', '-n', '20', '-q', '--p99-max', '100']);
  assert.is(run.code, 1);
  assert.match(run.stdout, /FAIL {2}p99 \d+\.\d ms exceeds --p99-max 100 ms/);
});

Cli('invalid records rejected with 400 pass', async () => {
  const notas = await server();
  const marked = join(dir, 'marked.json');
  await writeFile(marked, JSON.stringify(poolRecords(9, 1)));
  const run = await load(['--url', notas.url, '--pool', marked, '-n', '100', '-q']);
  assert.is(run.code, 0, run.stdout);
  assert.match(run.stdout, 'Invalid records (marked in the pool): 10 sent, 10 rejected with 400 as expected, 0 accepted with 2xx');
  assert.match(run.stdout, 'Failures: none');
});

Cli('wrong-case key stops with exit 2', async () => {
  const records = poolRecords(20);
  const { carnet, ...rest } = records[17];
  records[17] = { Carnet: carnet, ...rest };
  const bad = join(dir, 'pool-bad.json');
  await writeFile(bad, JSON.stringify(records));

  const run = await load(['--pool', bad, '-n', '1']);
  assert.is(run.code, 2);
  assert.match(run.stderr, 'error: pool-bad.json: record 17: unknown field "Carnet"; did you mean "carnet"? Field names are lowercase');
  assert.is(run.stdout, '');
});

Cli('missing pool stops with exit 2', async () => {
  const run = await load(['--pool', join(dir, 'absent.json'), '-n', '1']);
  assert.is(run.code, 2);
  assert.match(run.stderr, `error: pool file ${join(dir, 'absent.json')} not found: create one with \`npm run generate\``);
});

Cli('wrong urls stop with exit 2', async () => {
  const cases: Array<[string, string]> = [
    ['ftp://127.0.0.1/notas', 'error: invalid --url "ftp://127.0.0.1/notas": expected http:// or https://, got ftp://'],
    ['localhost:8080/notas', 'error: invalid --url "localhost:8080/notas": expected http:// or https://, got localhost:'],
    ['not a url', 'error: invalid --url "not a url": expected an absolute URL such as http://localhost:8080/notas'],
  ];
  for (const [url, message] of cases) {
    const run = await load(['--url', url, '--pool', poolPath]);
    assert.is(run.code, 2, url);
    assert.match(run.stderr, message);
  }
});

Cli('unreachable ingress names the hint', async () => {
  const notas = await startFakeNotas();
  await notas.close();
  const port = new URL(notas.url).port;

  const run = await load(['--url', notas.url, '--pool', poolPath, '-n', '1']);
  assert.is(run.code, 2);
  assert.match(run.stderr, `error: cannot reach 127.0.0.1:${port} (connection refused): ${NOT_RUNNING_HINT}`);
});

Cli('bad options stop with exit 2', async () => {
  const cases: Array<[string[], string]> = [
    [['--users', 'many'], 'error: invalid --users "many": expected an integer of at least 1'],
    [['--duration', '10 minutes'], 'error: invalid --duration "10 minutes": expected a number with a unit ms, s, m or h'],
    [['--max-failure-ratio', '5'], 'error: invalid --max-failure-ratio "5": expected a number from 0 to 1, such as 0.01'],
    [['--wait', '2s-1s'], 'error: invalid --wait "2s-1s": the maximum is below the minimum'],
    [['--expect-split', 'grpc'], 'error: invalid --expect-split "grpc": "grpc" is not route=weight'],
    [['--rate', '100', '--users', '5'], 'error: --rate selects the open model; --users, --spawn-rate and --wait apply to the closed model only'],
    [['--ramp', '5s'], 'error: --ramp applies to the open model: give --rate too'],
    [['--verify'], 'error: --verify needs --mongo-url and --redis-url, or a --state-file that contains them'],
    [['--transport', 'curl'], 'error: invalid --transport "curl": expected net or undici'],
    [['--colour'], "error: Unknown option '--colour'"],
    [['--timeout', '0'], 'error: invalid --timeout "0": expected a duration above 0, a number with a unit ms, s, m or h'],
    [['--duration', '0s'], 'error: invalid --duration "0s": expected a duration above 0, a number with a unit ms, s, m or h'],
    [['--expect-split', 'grpc=50,cache=0'], 'error: invalid --expect-split "grpc=50,cache=0": weight "0" of cache is not a number above 0; expected route=weight pairs such as grpc=50,cache=50'],
    [['--expect-split', 'grpc=x'], 'error: invalid --expect-split "grpc=x": weight "x" of grpc is not a number above 0'],
    [['--rate', '-1'], 'error: invalid --rate "-1": expected a number above 0 (requests per second)'],
    [['--rate=-1'], 'error: invalid --rate "-1": expected a number above 0 (requests per second)'],
    [['-u', '-2'], 'error: invalid --users "-2": expected an integer of at least 1'],
    [['--max-failure-ratio', '-0.5'], 'error: invalid --max-failure-ratio "-0.5": expected a number from 0 to 1, such as 0.01'],
  ];
  for (const [args, message] of cases) {
    const run = await load([...args, '--pool', poolPath]);
    assert.is(run.code, 2, args.join(' '));
    assert.match(run.stderr, message);
    assert.match(run.stderr, 'Run with --help for the options.');
  }
});

Cli('state file supplies the url', async () => {
  const notas = await server();
  const state = join(dir, 'state.json');
  await writeFile(state, JSON.stringify({ ingress: notas.url, routes: {}, mongoUrl: 'mongodb://127.0.0.1:1', redisUrl: 'redis://127.0.0.1:1' }));

  const run = await load(['--state-file', state, '--pool', poolPath, '-n', '30', '-q']);
  assert.is(run.code, 0, run.stdout + run.stderr);
  assert.is(notas.keys.length, 30);
});

Cli('outputs written', async () => {
  const notas = await server();
  const prefix = join(dir, 'out', 'run');
  const run = await load(['--url', notas.url, '--pool', poolPath, '-n', '200', '-q', '--csv', prefix, '--json', `${prefix}.json`, '--html', `${prefix}.html`, '--acks', `${prefix}-acks.json`, '--run-id', 'cli']);
  assert.is(run.code, 0, run.stdout + run.stderr);

  for (const suffix of ['_stats.csv', '_stats_history.csv', '_failures.csv', '.json', '.html', '-acks.json']) {
    assert.ok(existsSync(`${prefix}${suffix}`), `${prefix}${suffix} missing`);
  }
  const summary = JSON.parse(await readFile(`${prefix}.json`, 'utf8'));
  assert.is(summary.total.requests, 200);
  assert.is(summary.runId, 'cli');
  assert.match(summary.total.histogram.encoded, /^HISTF/);
  assert.ok(summary.history.length >= 1);

  const acks = JSON.parse(await readFile(`${prefix}-acks.json`, 'utf8'));
  assert.is(acks.acknowledged.length, 200);
  assert.match(acks.acknowledged[0].key, /^cli:\d+$/);
});

Cli('plain progress and ctrl-c report', async () => {
  const notas = await server();
  const run = await load(['--url', notas.url, '--pool', poolPath, '-u', '2', '-t', '60s', '--interval', '1s'], { signalAfterProgress: 'SIGINT' });
  assert.is(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stderr, /\[\d+s \/ 1m00s, \d+s left\] {2}users 2\/2 {2}reqs \d+/);
  assert.match(run.stderr, 'SIGINT: stopping; waiting for requests in flight');
  assert.match(run.stdout, 'stopped by signal');
  assert.match(run.stdout, 'result: PASS (exit 0)');
});

Cli('help lists every option', async () => {
  const run = await load(['--help']);
  assert.is(run.code, 0);
  for (const option of ['--url', '--pool', '--transport', '--users', '--spawn-rate', '--wait', '--rate', '--ramp', '--connections', '--duration', '--requests', '--timeout', '--max-failure-ratio', '--p95-max', '--p99-max', '--expect-split', '--verify', '--mongo-url', '--mongo-db', '--redis-url', '--state-file', '--csv', '--json', '--html', '--acks', '--interval', '--quiet', '--run-id']) {
    assert.match(run.stdout, option);
  }
});

Cli('deno runs help and a short load', async () => {
  const help = await load(['--help'], { runtime: 'deno' });
  assert.is(help.code, 0, help.stderr);
  assert.match(help.stdout, 'Usage: npx tsx scripts/load.ts [options]');

  const notas = await server();
  const run = await load(['--url', notas.url, '--pool', poolPath, '-n', '50', '-q'], { runtime: 'deno' });
  assert.is(run.code, 0, run.stdout + run.stderr);
  assert.is(notas.keys.length, 50);
});

Cli.run();
