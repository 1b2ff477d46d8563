/**
 * Writes a seeded pool of grade records for the load script.
 *
 *   npx tsx scripts/generate.ts --count 10000 --seed 2024 --out data/pool.json
 *
 * The same options give the same file byte for byte, under Node.js and Deno.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { POOL_DEFAULTS, formatPool, generatePool, type PoolOptions } from '../lib/pool.ts';
import { MIN_YEAR, maxYear } from '../lib/record.ts';

const HELP = `Usage: npx tsx scripts/generate.ts [options]

Writes a JSON array of grade records {carnet, nombre, curso, nota, semestre, year}.

Options:
  --count N           records to write (default ${POOL_DEFAULTS.count}, 1 to 10000000)
  --seed N            random seed; the same seed gives the same pool (default ${POOL_DEFAULTS.seed})
  --out FILE          output file, or - for standard output (default data/pool.json)
  --invalid-ratio R   fraction from 0 to 1 of records made invalid on purpose, each
                      marked with "_invalid": "<reason>" so the load script expects a 400 (default 0)
  --last-year YYYY    latest academic year in the pool (default the current year)
  -h, --help          show this help
`;

class UsageError extends Error {}

function parseInteger(option: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || value < min || value > max) {
    throw new UsageError(`invalid --${option} "${raw}": expected an integer from ${min} to ${max}`);
  }
  return value;
}

function parseRatio(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new UsageError(`invalid --invalid-ratio "${raw}": expected a number from 0 to 1, such as 0.1`);
  }
  return value;
}

export function parseOptions(argv: string[]): (PoolOptions & { out: string }) | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      'invalid-ratio': { type: 'string' },
      'last-year': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });

  if (values.help) return 'help';

  return {
    count: values.count === undefined ? POOL_DEFAULTS.count : parseInteger('count', values.count, 1, 10_000_000),
    seed: values.seed === undefined ? POOL_DEFAULTS.seed : parseInteger('seed', values.seed, 0, 2 ** 32 - 1),
    invalidRatio: values['invalid-ratio'] === undefined ? 0 : parseRatio(values['invalid-ratio']),
    lastYear: values['last-year'] === undefined
      ? POOL_DEFAULTS.lastYear
      : parseInteger('last-year', values['last-year'], MIN_YEAR + 6, maxYear()),
    out: values.out ?? 'data/pool.json',
  };
}

function main(): void {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    // parseArgs throws TypeError with a code for unknown options and missing values.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`generate: ${message}\nRun with --help for the options.\n`);
    process.exit(2);
  }

  if (options === 'help') {
    process.stdout.write(HELP);
    return;
  }

  const entries = generatePool(options);
  const invalid = entries.filter((entry) => '_invalid' in entry).length;

  if (options.out === '-') {
    process.stdout.write(formatPool(entries));
    return;
  }

  // Write beside the target, then rename, so a reader never sees half a pool.
  const out = resolve(options.out);
  const partial = `${out}.${process.pid}.partial`;
  try {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(partial, formatPool(entries));
    renameSync(partial, out);
  } catch (error) {
    rmSync(partial, { force: true });
    process.stderr.write(`generate: cannot write ${options.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; --out must name a file in a writable folder\n`);
    process.exit(1);
  }

  process.stdout.write(`wrote ${entries.length} records (${invalid} invalid on purpose) to ${options.out} with seed ${options.seed}\n`);
}

main();
