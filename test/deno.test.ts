import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

// The deno npm package ships the binary; npm links it here.
const DENO = join('node_modules', '.bin', 'deno');

const Deno = suite('deno');
const dir = mkdtempSync(join(tmpdir(), 'notas-deno-'));

Deno.after(() => rmSync(dir, { recursive: true, force: true }));

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  assert.is(result.error, undefined, `${command} failed to start: ${result.error?.message}`);
  return result;
}

Deno('generate matches node byte for byte', () => {
  const fromNode = join(dir, 'node.json');
  const fromDeno = join(dir, 'deno.json');
  const args = ['--count', '2000', '--seed', '31', '--invalid-ratio', '0.05', '--last-year', '2026'];

  const node = run(process.execPath, ['--import', 'tsx', 'scripts/generate.ts', ...args, '--out', fromNode]);
  assert.is(node.status, 0, node.stderr);

  const deno = run(DENO, ['run', '--allow-read', '--allow-write', '--allow-env', 'scripts/generate.ts', ...args, '--out', fromDeno]);
  assert.is(deno.status, 0, deno.stderr);

  assert.ok(readFileSync(fromNode).equals(readFileSync(fromDeno)), 'node and deno pools differ');
});

Deno('deno task generate uses package.json', () => {
  const out = join(dir, 'task.json');
  const result = run(DENO, ['task', 'generate', '--count', '25', '--seed', '8', '--out', out]);
  assert.is(result.status, 0, result.stderr);
  assert.match(result.stdout, 'wrote 25 records');

  const pool = JSON.parse(readFileSync(out, 'utf8'));
  assert.is(pool.length, 25);
});

Deno('typechecks the shared record module', () => {
  const result = run(DENO, ['check', 'lib/record.ts', 'lib/pool.ts', 'scripts/generate.ts']);
  assert.is(result.status, 0, result.stderr);
});

Deno.run();
