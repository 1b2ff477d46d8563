import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadPool, PoolError } from '../lib/load/pool.ts';
import { poolRecords } from './helpers/load-server.ts';

const Pool = suite('load pool');
let dir = '';

Pool.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'notas-load-pool-'));
});

Pool.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function poolFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function poolError(path: string): Promise<string> {
  try {
    await loadPool(path);
  } catch (error) {
    assert.instance(error, PoolError);
    return (error as Error).message;
  }
  throw new Error(`expected ${path} to be rejected`);
}

Pool('json array loads', async () => {
  const path = await poolFile('array.json', JSON.stringify(poolRecords(3)));
  const entries = await loadPool(path);
  assert.is(entries.length, 3);
  assert.equal(JSON.parse(entries[2].body.toString('utf8')), poolRecords(3)[2]);
  assert.is(entries[0].invalid, null);
});

Pool('ndjson loads', async () => {
  const lines = poolRecords(4).map((record) => JSON.stringify(record)).join('\n');
  const entries = await loadPool(await poolFile('pool.ndjson', `${lines}\n\n`));
  assert.is(entries.length, 4);
  assert.is(entries[3].index, 3);
});

Pool('marker removed from body', async () => {
  const entries = await loadPool(await poolFile('marked.json', JSON.stringify(poolRecords(1, 1))));
  assert.is(entries[1].invalid, 'nota above 100');
  const body = JSON.parse(entries[1].body.toString('utf8')) as Record<string, unknown>;
  assert.not.ok('_invalid' in body);
  assert.is(body.nota, 101);
});

Pool('wrong-case key names index and hint', async () => {
  const records = poolRecords(20);
  const { carnet, ...rest } = records[17];
  records[17] = { Carnet: carnet, ...rest };
  const message = await poolError(await poolFile('pool.json', JSON.stringify(records)));
  assert.ok(
    message.startsWith('pool.json: record 17: unknown field "Carnet"; did you mean "carnet"? Field names are lowercase'),
    message,
  );
  assert.match(message, /mark a deliberately invalid one with "_invalid"/);
});

Pool('wrong type names the field', async () => {
  const records = poolRecords(3);
  records[1] = { ...records[1], nota: '90' };
  const message = await poolError(await poolFile('typed.json', JSON.stringify(records)));
  assert.ok(message.startsWith('typed.json: record 1: nota must be an integer from 0 to 100, got "90"'), message);
});

Pool('missing file says how to create one', async () => {
  const message = await poolError(join(dir, 'absent.json'));
  assert.is(message, `pool file ${join(dir, 'absent.json')} not found: create one with \`npm run generate\` (writes data/pool.json) or pass --pool FILE`);
});

Pool('broken ndjson names the line', async () => {
  const message = await poolError(await poolFile('broken.ndjson', `${JSON.stringify(poolRecords(1)[0])}\n{"carnet":\n`));
  assert.match(message, /broken\.ndjson line 2 is not valid JSON/);
});

Pool('empty pool is rejected', async () => {
  const message = await poolError(await poolFile('empty.json', '[]'));
  assert.match(message, /contains no records/);
});

Pool.run();
