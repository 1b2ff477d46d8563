import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startLocalStack, type LocalStack } from '../lib/stack/local.ts';
import { poolRecords } from './helpers/load-server.ts';

const RUN_TIMEOUT_MS = 120_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function load(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/load.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const Verify = suite('load verify');
let dir = '';
let stack: LocalStack | undefined;
let statePath = '';
let poolPath = '';

Verify.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'notas-load-verify-'));
  stack = await startLocalStack({ dir, ingressPort: await freePort() });
  statePath = join(dir, 'state.json');
  await writeFile(statePath, JSON.stringify(stack.state()));
  poolPath = join(dir, 'pool.json');
  await writeFile(poolPath, JSON.stringify(poolRecords(45, 5)));
});

Verify.after(async () => {
  await stack?.stop();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

Verify('state file run reconciles exactly', async () => {
  const htmlPath = join(dir, 'report.html');
  const run = await load(['--state-file', statePath, '--pool', poolPath, '--verify', '-u', '8', '-n', '300', '-q', '--html', htmlPath]);
  assert.is(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, 'reconciliation: exact');
  assert.match(run.stdout, /acknowledged 270 \((cache|grpc) \d+, (cache|grpc) \d+\); uncertain 0/);
  assert.match(run.stdout, '30 sent, 30 rejected with 400 as expected');
  assert.match(run.stdout, 'result: PASS (exit 0)');

  const html = await readFile(htmlPath, 'utf8');
  assert.match(html, '<strong>Result: PASSED</strong> (thresholds and reconciliation).');
  assert.match(html, 'Reconciliation: <span class="ok">exact</span>');
  assert.match(html, '<td class="text">every acknowledged id is in mongodb</td><td class="ok">ok</td><td class="text">270 of 270 found</td>');
  assert.not.match(html, 'Verification was not run');
});

Verify('explicit urls reconcile a second run', async () => {
  // The earlier run's documents stay in the database; the run id prefix keeps
  // them out of this run's reconciliation.
  const run = await load(['--url', stack!.ingress, '--mongo-url', stack!.mongoUrl, '--redis-url', stack!.redisUrl, '--pool', poolPath, '--verify', '-u', '4', '-n', '100', '-q']);
  assert.is(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, 'reconciliation: exact');
});

Verify.run();
