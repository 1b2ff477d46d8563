import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const Proto = suite('proto');
const GENERATED = 'lib/generated';
const dir = mkdtempSync(join(tmpdir(), 'notas-proto-'));

Proto.after(() => rmSync(dir, { recursive: true, force: true }));

function listFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

Proto('generated types are current', () => {
  const script = JSON.parse(readFileSync('package.json', 'utf8')).scripts['gen:proto'] as string;
  assert.match(script, `--outDir=${GENERATED} `, 'gen:proto no longer writes to lib/generated');

  // The same command as `npm run gen:proto`, writing to a temporary folder.
  const args = script.replace(`--outDir=${GENERATED} `, `--outDir=${dir} `).split(/\s+/);
  const binary = join('node_modules', '.bin', args[0]);
  const result = spawnSync(binary, args.slice(1), { encoding: 'utf8', timeout: 60_000 });
  assert.is(result.error, undefined, `${args[0]} failed to start: ${result.error?.message}`);
  assert.is(result.status, 0, result.stderr);

  const expected = listFiles(dir);
  assert.ok(expected.length > 0, 'the generator wrote no files');
  assert.equal(listFiles(GENERATED), expected, 'lib/generated has other files than the generator writes; run npm run gen:proto');

  for (const file of expected) {
    const fresh = readFileSync(join(dir, file), 'utf8');
    const committed = readFileSync(join(GENERATED, file), 'utf8');
    assert.ok(fresh === committed, `${GENERATED}/${file} is stale; run npm run gen:proto`);
  }
});

Proto.run();
