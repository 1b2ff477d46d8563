/**
 * Compares the client cost of scripts/load.ts with Locust's FastHttpUser and
 * wrk. Each drives the same nginx `return 201` endpoint on loopback for the
 * same time with the same number of connections. The figure of merit is
 * requests per second of client CPU time (user + system, whole process,
 * start-up included), so spare cores cannot flatter any tool.
 *
 *   npm run bench:load -- --duration 30s --connections 64
 *
 * Needs nginx, wrk, python3 with venv, and the PyPI registry for Locust on
 * the first run (installed into .tmp/bench/locust-venv).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { parseDuration } from '../lib/load/duration.ts';

const LOCUST_VERSION = '2.47.0';
const VENV = resolve('.tmp/bench/locust-venv');
const POOL_SIZE = 1000;

const HELP = `Usage: npm run bench:load -- [options]

  --duration DURATION   run length per tool (default 30s)
  --connections N       concurrent connections or users per tool (default 64)
  --only LIST           comma-separated subset of load.ts,locust,wrk
  -h, --help            show this help
`;

interface Measurement {
  tool: string;
  requests: number;
  wallSeconds: number;
  cpuSeconds: number;
  note: string;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

function records(count: number): Array<Record<string, unknown>> {
  const cursos = ['SO1', 'BD1', 'LFP', 'AYD1', 'IPC2'];
  return Array.from({ length: count }, (_, i) => ({
    carnet: 202000000 + i,
    nombre: `Estudiante ${i} Muñoz`,
    curso: cursos[i % cursos.length],
    nota: i % 101,
    semestre: i % 2 === 0 ? '1S' : '2S',
    year: 2024,
  }));
}

async function startNginx(dir: string, port: number): Promise<() => Promise<void>> {
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  split_clients "\${connection}:\${connection_requests}" $ruta { 50% grpc; * cache; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 10000000;
    location /notas {
      add_header x-ruta $ruta always;
      default_type application/json;
      return 201 '{"id":"bench","ruta":"$ruta"}';
    }
  }
}
`);
  const nginx = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  for (let attempt = 0; attempt < 50; attempt++) {
    await new Promise((done) => setTimeout(done, 100));
    const probe = spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]);
    if (probe.status === 0) {
      return async () => {
        nginx.kill('SIGQUIT');
        await new Promise((done) => nginx.once('exit', done));
      };
    }
  }
  nginx.kill('SIGKILL');
  throw new Error(`nginx did not listen on 127.0.0.1:${port}; see ${dir}/error.log`);
}

/** Runs a command under bash and returns its stdout and the CPU time bash's `times` reports for it. */
async function timed(command: string[], outFile: string): Promise<{ stdout: string; cpuSeconds: number; wallSeconds: number }> {
  const script = '"$@" > "$OUT" 2>&1; status=$?; times; exit $status';
  const started = performance.now();
  const child = spawn('bash', ['-c', script, 'bash', ...command], { env: { ...process.env, OUT: outFile }, stdio: ['ignore', 'pipe', 'inherit'] });
  let times = '';
  child.stdout.on('data', (chunk: Buffer) => {
    times += chunk.toString();
  });
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  const wallSeconds = (performance.now() - started) / 1000;
  const stdout = await readFile(outFile, 'utf8');
  if (code !== 0 && code !== 1) throw new Error(`${command.join(' ')} exited with ${code}:\n${stdout.slice(-2000)}`);

  // The second line of `times` is the children's user and system time: "0m2.571s 0m1.572s".
  const childLine = times.trim().split('\n')[1] ?? '';
  const seconds = [...childLine.matchAll(/(\d+)m([\d.]+)s/g)].map((match) => Number(match[1]) * 60 + Number(match[2]));
  if (seconds.length !== 2) throw new Error(`cannot read CPU time from bash times output: ${JSON.stringify(times)}`);
  return { stdout, cpuSeconds: seconds[0] + seconds[1], wallSeconds };
}

async function benchLoadTs(dir: string, url: string, pool: string, seconds: number, connections: number): Promise<Measurement> {
  const json = join(dir, 'load.json');
  const { cpuSeconds, wallSeconds } = await timed(
    [process.execPath, '--import', 'tsx', 'scripts/load.ts', '--url', url, '--pool', pool, '-u', String(connections), '-r', '100000', '-t', `${seconds}s`, '-q', '--max-failure-ratio', '1', '--json', json],
    join(dir, 'load.out'),
  );
  const summary = JSON.parse(await readFile(json, 'utf8'));
  return {
    tool: 'load.ts',
    requests: summary.total.requests,
    wallSeconds,
    cpuSeconds,
    note: `in-run CPU ${summary.selfCheck.cpuSeconds.toFixed(1)} s, failures ${summary.total.failures}`,
  };
}

function ensureLocust(): string {
  const locust = join(VENV, 'bin', 'locust');
  if (existsSync(locust)) return locust;

  process.stderr.write(`installing locust==${LOCUST_VERSION} into ${VENV}\n`);
  const venv = spawnSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
  if (venv.status !== 0) throw new Error('python3 -m venv failed: install python3-venv');
  const pip = spawnSync(join(VENV, 'bin', 'pip'), ['install', '--quiet', `locust==${LOCUST_VERSION}`], { stdio: 'inherit' });
  if (pip.status !== 0) throw new Error(`pip install locust==${LOCUST_VERSION} failed`);
  return locust;
}

async function benchLocust(dir: string, origin: string, pool: string, seconds: number, connections: number): Promise<Measurement> {
  const locust = ensureLocust();
  const locustfile = join(dir, 'locustfile.py');
  // Bodies are serialised once, so Locust pays only for sending, as load.ts does.
  await writeFile(locustfile, `import itertools, json, os, uuid
from locust import FastHttpUser, constant, task

BODIES = [json.dumps(record).encode() for record in json.load(open(os.environ["NOTAS_POOL"]))]
RUN = uuid.uuid4().hex[:12]
counter = itertools.count(1)

class Notas(FastHttpUser):
    wait_time = constant(0)

    @task
    def post(self):
        n = next(counter)
        self.client.post("/notas", data=BODIES[n % len(BODIES)], headers={"Content-Type": "application/json", "Idempotency-Key": f"{RUN}:{n}"})
`);
  const prefix = join(dir, 'locust');
  process.env.NOTAS_POOL = pool;
  const { cpuSeconds, wallSeconds } = await timed(
    [locust, '-f', locustfile, '--headless', '-u', String(connections), '-r', String(connections), '-t', `${seconds}s`, '--host', origin, '--csv', prefix, '--only-summary', '--loglevel', 'WARNING'],
    join(dir, 'locust.out'),
  );
  const stats = await readFile(`${prefix}_stats.csv`, 'utf8');
  const aggregated = stats.split('\n').find((line) => line.includes(',Aggregated,'));
  if (aggregated === undefined) throw new Error(`no Aggregated row in ${prefix}_stats.csv`);
  const [, , requests, failures] = aggregated.split(',');
  return { tool: `Locust ${LOCUST_VERSION} FastHttpUser`, requests: Number(requests), wallSeconds, cpuSeconds, note: `failures ${failures}` };
}

async function benchWrk(dir: string, url: string, pool: string, seconds: number, connections: number): Promise<Measurement> {
  const body = JSON.stringify(JSON.parse(await readFile(pool, 'utf8'))[0]);
  const script = join(dir, 'post.lua');
  await writeFile(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`);
  const { stdout, cpuSeconds, wallSeconds } = await timed(['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, url], join(dir, 'wrk.out'));
  const match = /(\d+) requests in/.exec(stdout);
  if (match === null) throw new Error(`cannot read the request count from wrk:\n${stdout}`);
  return { tool: 'wrk (1 thread)', requests: Number(match[1]), wallSeconds, cpuSeconds, note: 'one fixed body, no Idempotency-Key' };
}

function perCore(measurement: Measurement): number {
  return measurement.requests / measurement.cpuSeconds;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const durationMs = parseDuration(values.duration ?? '30s');
  const connections = Number(values.connections ?? 64);
  if (durationMs === undefined || durationMs < 1000 || !Number.isInteger(connections) || connections < 1) {
    throw new Error('expected --duration of at least 1s and --connections of at least 1');
  }
  const seconds = Math.round(durationMs / 1000);
  const only = new Set((values.only ?? 'wrk,locust,load.ts').split(','));

  await mkdir('.tmp/bench', { recursive: true });
  const dir = await mkdtemp(join(tmpdir(), 'notas-bench-'));
  const port = await freePort();
  const stopNginx = await startNginx(dir, port);
  const origin = `http://127.0.0.1:${port}`;
  const url = `${origin}/notas`;
  const pool = join(dir, 'pool.json');
  await writeFile(pool, JSON.stringify(records(POOL_SIZE)));

  const results: Measurement[] = [];
  try {
    process.stderr.write(`endpoint ${url} (nginx return 201, 1 worker), ${seconds} s per tool, ${connections} connections, ${cpus().length} cores\n`);
    if (only.has('wrk')) results.push(await benchWrk(dir, url, pool, seconds, connections));
    if (only.has('locust')) results.push(await benchLocust(dir, origin, pool, seconds, connections));
    if (only.has('load.ts')) results.push(await benchLoadTs(dir, url, pool, seconds, connections));
  } finally {
    await stopNginx();
    await rm(dir, { recursive: true, force: true });
  }

  const lines = [
    '| tool | requests | wall s | CPU s | req/s | req/s per CPU-second | note |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...results.map((result) => `| ${result.tool} | ${result.requests} | ${result.wallSeconds.toFixed(1)} | ${result.cpuSeconds.toFixed(2)} | ${Math.round(result.requests / result.wallSeconds)} | ${Math.round(perCore(result))} | ${result.note} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n\n`);

  const loadTs = results.find((result) => result.tool === 'load.ts');
  const locust = results.find((result) => result.tool.startsWith('Locust'));
  const wrk = results.find((result) => result.tool.startsWith('wrk'));
  if (loadTs !== undefined && locust !== undefined) {
    const ratio = perCore(loadTs) / perCore(locust);
    process.stdout.write(`load.ts / Locust FastHttpUser: ${ratio.toFixed(2)}x per core (goal >= 2): ${ratio >= 2 ? 'met' : 'NOT met'}\n`);
  }
  if (loadTs !== undefined && wrk !== undefined) {
    const ratio = perCore(loadTs) / perCore(wrk);
    process.stdout.write(`load.ts / wrk: ${ratio.toFixed(2)}x per core (goal >= 0.5): ${ratio >= 0.5 ? 'met' : 'NOT met'}\n`);
  }
}

await main();
