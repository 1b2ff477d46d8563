import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

// The two READMEs are one guide in two languages: same sections, commands and
// options. These checks catch a change made to one and not the other, and a
// README that names a script or option the code no longer has.

const Readme = suite('readme');
const english = readFileSync('README.md', 'utf8');
const spanish = readFileSync('README.es.md', 'utf8');
const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

function headings(text: string, level: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${level} `));
}

function codeBlocks(text: string): string[] {
  return [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((match) => match[1]);
}

// Comments after `#` are translated; the commands themselves are not.
function commands(text: string): string[] {
  return codeBlocks(text)
    .flatMap((block) => block.split('\n'))
    .filter((line) => /^(npm|npx|curl|kubectl|tilt|\$)/.test(line.trim()))
    .map((line) => line.replace(/\s+#.*$/, '').trim());
}

function options(text: string): Set<string> {
  const spans = [...text.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]);
  const found = [...spans, ...codeBlocks(text)].flatMap((span) =>
    [...span.matchAll(/(?:^|\s)(-{1,2}[a-z][a-z0-9-]*)/g)].map((match) => match[1]),
  );
  return new Set(found);
}

Readme('same number of sections', () => {
  assert.is(headings(spanish, '##').length, headings(english, '##').length);
});

Readme('same commands in both', () => {
  assert.equal(commands(spanish), commands(english));
});

Readme('same options in both', () => {
  assert.equal([...options(spanish)].sort(), [...options(english)].sort());
});

Readme('npm scripts it names exist', () => {
  const named = new Set([...english.matchAll(/npm run ([a-z:-]+)/g)].map((match) => match[1]));
  for (const script of named) assert.ok(script in packageJson.scripts, `README names npm run ${script}, which package.json lacks`);
});

Readme('load options match --help', () => {
  const help = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/load.ts', '--help'], { encoding: 'utf8' });
  assert.is(help.status, 0, help.stderr);

  const documented = options(english);
  const offered = new Set([...help.stdout.matchAll(/^\s+(?:-[a-z], )?(--[a-z][a-z0-9-]*)/gm)].map((match) => match[1]));
  assert.ok(offered.size > 15, `only ${offered.size} options found in --help`);
  for (const option of offered) assert.ok(documented.has(option), `load.ts ${option} is not in README.md`);
});

Readme('local options match --help', () => {
  const help = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/local.ts', '--help'], { encoding: 'utf8' });
  assert.is(help.status, 0, help.stderr);

  const documented = options(english);
  const offered = new Set([...help.stdout.matchAll(/^\s+(?:-[a-z], )?(--[a-z][a-z0-9-]*)/gm)].map((match) => match[1]));
  for (const option of offered) assert.ok(documented.has(option), `local.ts ${option} is not in README.md`);
});

Readme('test command is npm test', () => {
  const ci = readFileSync('.ci/run', 'utf8');
  assert.match(english, '```sh\nnpm test\n```');
  assert.match(ci, /^npm test /m);
});

Readme.run();
