import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { CURSOS, INVALID_MARKER, formatPool, generatePool } from '../lib/pool.ts';
import { validateRecord } from '../lib/record.ts';

const Generate = suite('generate');
const dir = mkdtempSync(join(tmpdir(), 'notas-generate-'));

Generate.after(() => rmSync(dir, { recursive: true, force: true }));

function runGenerate(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generate.ts', ...args], { encoding: 'utf8' });
}

Generate('10,000 records pass the schema', () => {
  const pool = generatePool({ count: 10_000, seed: 99, invalidRatio: 0, lastYear: 2026 });
  assert.is(pool.length, 10_000);

  const now = new Date('2026-06-01T00:00:00Z');
  const failures = pool
    .map((entry, index) => ({ index, result: validateRecord(entry, now) }))
    .filter(({ result }) => !result.ok);
  assert.equal(failures.slice(0, 3), [], 'some generated records are invalid');
});

Generate('pool has a realistic spread', () => {
  const pool = generatePool({ count: 5_000, seed: 1, invalidRatio: 0, lastYear: 2026 }) as Array<Record<string, number | string>>;

  const notas = pool.map((record) => record.nota as number);
  const mean = notas.reduce((sum, nota) => sum + nota, 0) / notas.length;
  assert.ok(mean > 60, `mean grade ${mean} is not near 68`);
  assert.ok(mean < 75, `mean grade ${mean} is not near 68`);
  assert.ok(notas.some((nota) => nota < 61), 'no failing grades');
  assert.ok(notas.some((nota) => nota >= 90), 'no grades of 90 or more');

  const cursos = new Set(pool.map((record) => record.curso));
  assert.is(cursos.size, CURSOS.length);

  for (const record of pool.slice(0, 200)) {
    const carnet = String(record.carnet);
    assert.is(carnet.length, 9, `carnet ${carnet} is not 9 digits`);
    assert.ok(Number(carnet.slice(0, 4)) <= (record.year as number), `carnet ${carnet} enrols after year ${record.year}`);
  }

  const accented = pool.filter((record) => /[áéíóúñÁÉÍÓÚÑü]/.test(record.nombre as string));
  assert.ok(accented.length > 100, `only ${accented.length} names carry accents`);
});

Generate('invalid entries are marked and fail', () => {
  const pool = generatePool({ count: 2_000, seed: 5, invalidRatio: 0.1, lastYear: 2026 });
  const marked = pool.filter((entry) => INVALID_MARKER in entry);
  assert.ok(marked.length > 120, `${marked.length} of 2000 marked invalid at ratio 0.1`);
  assert.ok(marked.length < 280, `${marked.length} of 2000 marked invalid at ratio 0.1`);

  const now = new Date('2026-06-01T00:00:00Z');
  for (const entry of pool) {
    const { [INVALID_MARKER]: reason, ...record } = entry as Record<string, unknown>;
    const result = validateRecord(record, now);
    if (reason === undefined) assert.ok(result.ok, `unmarked entry ${JSON.stringify(record)} is invalid`);
    else assert.not.ok(result.ok, `entry marked "${reason}" passes the schema`);
  }
});

Generate('same seed gives same bytes', () => {
  const first = join(dir, 'first.json');
  const second = join(dir, 'second.json');
  assert.is(runGenerate('--count', '500', '--seed', '42', '--out', first).status, 0);
  assert.is(runGenerate('--count', '500', '--seed', '42', '--out', second).status, 0);
  assert.ok(readFileSync(first).equals(readFileSync(second)));
});

Generate('different seed gives different pool', () => {
  const a = formatPool(generatePool({ count: 100, seed: 1, invalidRatio: 0, lastYear: 2026 }));
  const b = formatPool(generatePool({ count: 100, seed: 2, invalidRatio: 0, lastYear: 2026 }));
  assert.is.not(a, b);
});

Generate('output is a JSON array', () => {
  const out = join(dir, 'array.json');
  const result = runGenerate('--count', '3', '--out', out);
  assert.is(result.status, 0);
  assert.match(result.stdout, 'wrote 3 records (0 invalid on purpose)');

  const parsed = JSON.parse(readFileSync(out, 'utf8'));
  assert.ok(Array.isArray(parsed));
  assert.is(parsed.length, 3);
});

const badArguments: Array<[string[], string]> = [
  [['--count', 'ten'], 'invalid --count "ten": expected an integer from 1 to 10000000'],
  [['--count', '0'], 'invalid --count "0": expected an integer from 1 to 10000000'],
  [['--invalid-ratio', '1.5'], 'invalid --invalid-ratio "1.5": expected a number from 0 to 1, such as 0.1'],
  [['--seed=-1'], 'invalid --seed "-1": expected an integer from 0 to 4294967295'],
  [['--colour'], "Unknown option '--colour'"],
];

for (const [args, message] of badArguments) {
  Generate(`rejects ${args.join(' ')}`, () => {
    const out = join(dir, 'never.json');
    const result = runGenerate(...args, '--out', out);
    assert.is(result.status, 2);
    assert.match(result.stderr, message);
    assert.not.ok(existsSync(out), 'a pool was written despite the error');
  });
}

Generate('leaves no partial file', () => {
  const out = join(dir, 'clean.json');
  assert.is(runGenerate('--count', '10', '--out', out).status, 0);
  assert.equal(readdirSync(dir).filter((name) => name.includes('.partial')), []);
});

Generate('out - writes stdout', () => {
  const result = runGenerate('--count', '4', '--out', '-');
  assert.is(result.status, 0, result.stderr);
  assert.is(JSON.parse(result.stdout).length, 4);
});

Generate('out folder fails cleanly', () => {
  const result = runGenerate('--count', '4', '--out', dir);
  assert.is(result.status, 1);
  assert.match(result.stderr, `generate: cannot write ${dir}: EISDIR; --out must name a file in a writable folder`);
  assert.not.match(result.stderr, '    at ', 'a stack trace was printed');
  assert.equal(readdirSync(join(dir, '..')).filter((name) => name.endsWith('.partial')), []);
});

Generate.run();
