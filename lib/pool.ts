import { Faker, base, es } from '@faker-js/faker';

import type { NotaRecord } from './record.ts';

/**
 * Course codes of a faculty of engineering, weighted by how many students a
 * semester typically enrols: first-year courses are the busiest.
 */
export const CURSOS: ReadonlyArray<{ value: string; weight: number }> = [
  { value: 'IPC1', weight: 9 },
  { value: 'IPC2', weight: 8 },
  { value: 'LFP', weight: 7 },
  { value: 'MATE1', weight: 9 },
  { value: 'FIS1', weight: 8 },
  { value: 'EDD', weight: 6 },
  { value: 'BD1', weight: 6 },
  { value: 'BD2', weight: 4 },
  { value: 'SO1', weight: 5 },
  { value: 'SO2', weight: 3 },
  { value: 'REDES1', weight: 4 },
  { value: 'ARQUI1', weight: 4 },
  { value: 'COMPI1', weight: 4 },
  { value: 'AYD1', weight: 4 },
  { value: 'AYD2', weight: 3 },
  { value: 'IA1', weight: 2 },
];

/** One pool entry: a record, or an invalid one marked with the reason a 400 is expected. */
export type PoolEntry = NotaRecord | (Record<string, unknown> & { _invalid: string });

/** Marker key of deliberately invalid entries; the load script strips it before sending. */
export const INVALID_MARKER = '_invalid';

export interface PoolOptions {
  count: number;
  seed: number;
  /** Fraction from 0 to 1 of entries made invalid on purpose. */
  invalidRatio: number;
  /** Latest academic year in the pool; enrolments go back six years from it. */
  lastYear: number;
}

export const POOL_DEFAULTS: PoolOptions = {
  count: 10_000,
  seed: 2024,
  invalidRatio: 0,
  lastYear: new Date().getUTCFullYear(),
};

// Grades cluster around a pass with a long tail of failures: a normal
// distribution (mean 68, standard deviation 16) clamped to 0..100.
const NOTA_MEAN = 68;
const NOTA_STDDEV = 16;

// Each breaks exactly one rule of the record, so the 400 names one field.
const INVALID_KINDS: ReadonlyArray<{ reason: string; apply(record: Record<string, unknown>, faker: Faker): void }> = [
  { reason: 'nota above 100', apply: (r, f) => { r.nota = f.number.int({ min: 101, max: 150 }); } },
  { reason: 'nota below 0', apply: (r, f) => { r.nota = -f.number.int({ min: 1, max: 20 }); } },
  { reason: 'nota not an integer', apply: (r) => { r.nota = (r.nota as number) + 0.5; } },
  { reason: 'carnet as a string', apply: (r) => { r.carnet = String(r.carnet); } },
  { reason: 'semestre not 1S or 2S', apply: (r) => { r.semestre = '3S'; } },
  { reason: 'curso in lowercase', apply: (r) => { r.curso = String(r.curso).toLowerCase(); } },
  { reason: 'year before 2000', apply: (r) => { r.year = 1999; } },
  { reason: 'nombre missing', apply: (r) => { delete r.nombre; } },
  { reason: 'unknown field', apply: (r) => { r.seccion = 'A'; } },
];

function gaussian(faker: Faker): number {
  // Box-Muller on faker's seeded generator, so the spread is reproducible.
  const u = 1 - faker.number.float({ min: 0, max: 1, fractionDigits: 12 });
  const v = faker.number.float({ min: 0, max: 1, fractionDigits: 12 });
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function makeRecord(faker: Faker, lastYear: number): NotaRecord {
  const enrolmentYear = faker.number.int({ min: lastYear - 6, max: lastYear });
  const year = faker.number.int({ min: enrolmentYear, max: lastYear });

  // 9 digits: the enrolment year then a 5-digit sequence, as USAC carnets are.
  const carnet = enrolmentYear * 100_000 + faker.number.int({ min: 1, max: 99_999 });

  // The es locale's lastName already contains both surnames, as Spanish names have.
  const nombre = `${faker.person.firstName()} ${faker.person.lastName()}`;

  const nota = Math.min(100, Math.max(0, Math.round(NOTA_MEAN + NOTA_STDDEV * gaussian(faker))));

  return {
    carnet,
    nombre,
    curso: faker.helpers.weightedArrayElement(CURSOS as Array<{ value: string; weight: number }>),
    nota,
    semestre: faker.helpers.arrayElement(['1S', '2S'] as const),
    year,
  };
}

/**
 * Generates a pool deterministically: the same options give the same
 * entries on every run, under Node.js and Deno alike.
 */
export function generatePool(options: PoolOptions): PoolEntry[] {
  const faker = new Faker({ locale: [es, base], seed: options.seed });
  const entries: PoolEntry[] = [];

  for (let index = 0; index < options.count; index += 1) {
    const record = makeRecord(faker, options.lastYear);

    const invalid = options.invalidRatio > 0 && faker.number.float({ min: 0, max: 1 }) < options.invalidRatio;
    if (!invalid) {
      entries.push(record);
      continue;
    }

    const kind = faker.helpers.arrayElement(INVALID_KINDS as Array<(typeof INVALID_KINDS)[number]>);
    const broken: Record<string, unknown> = { ...record };
    kind.apply(broken, faker);
    entries.push({ ...broken, [INVALID_MARKER]: kind.reason } as PoolEntry);
  }

  return entries;
}

/** Serialises a pool as a JSON array with one entry per line, readable and diffable. */
export function formatPool(entries: PoolEntry[]): string {
  if (entries.length === 0) return '[]\n';
  return `[\n${entries.map((entry) => JSON.stringify(entry)).join(',\n')}\n]\n`;
}
