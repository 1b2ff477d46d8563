import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { normalizeRecord, rangoOf, validateRecord } from '../lib/record.ts';

const valid = { carnet: 201900001, nombre: 'Zoë Ñandú 李 👩‍🎓', curso: 'SO1', nota: 90, semestre: '1S', year: 2024 };
const jan2026 = new Date('2026-01-15T00:00:00Z');

const Record = suite('record');

Record('valid record passes', () => {
  const result = validateRecord(valid, jan2026);
  assert.ok(result.ok);
});

const cases: Array<[string, unknown, string, string | null, string]> = [
  ['carnet as string', { ...valid, carnet: '2019' }, 'invalid_type', 'carnet', 'carnet must be an integer from 1 to 999999999, got "2019"'],
  ['nota as operator', { ...valid, nota: { $gt: 0 } }, 'invalid_type', 'nota', 'nota must be an integer from 0 to 100, got {"$gt":0}'],
  ['nota fractional', { ...valid, nota: 90.5 }, 'invalid_type', 'nota', 'nota must be an integer from 0 to 100, got 90.5'],
  ['nota above range', { ...valid, nota: 101 }, 'invalid_value', 'nota', 'nota must be an integer from 0 to 100, got 101'],
  ['semestre 3S', { ...valid, semestre: '3S' }, 'invalid_value', 'semestre', 'semestre must be one of "1S", "2S", got "3S"'],
  ['year next-next', { ...valid, year: 2028 }, 'invalid_value', 'year', 'year must be an integer from 2000 to 2027, got 2028'],
  ['curso lowercase', { ...valid, curso: 'so1' }, 'invalid_value', 'curso', 'curso must be a course code of 2 to 10 characters A-Z or 0-9, such as SO1, got "so1"'],
  ['nombre control char', { ...valid, nombre: 'a\u0007b' }, 'invalid_value', 'nombre', 'nombre must be a string of 1 to 120 characters without control characters, got "a\\u0007b"'],
  ['nombre lone surrogate', { ...valid, nombre: 'a\ud800b' }, 'invalid_value', 'nombre', 'nombre must be a string of 1 to 120 characters without control characters, got "a\\ud800b"'],
  ['dollar key', { ...valid, $where: '1' }, 'forbidden_key', '$where', 'field "$where" is not allowed: keys starting with "$" are rejected'],
  ['wrong-case key', { ...valid, Carnet: 1 }, 'unknown_field', 'Carnet', 'unknown field "Carnet"; did you mean "carnet"? Field names are lowercase'],
  ['array body', [valid], 'invalid_body', null, 'body must be a JSON object with fields carnet, nombre, curso, nota, semestre, year, got an array'],
  ['missing nota', { carnet: 1, nombre: 'A', curso: 'SO1', semestre: '1S', year: 2024 }, 'missing_field', 'nota', 'nota is required: an integer from 0 to 100'],
];

for (const [name, input, code, field, message] of cases) {
  Record(`rejects ${name}`, () => {
    const result = validateRecord(input, jan2026);
    if (result.ok) return assert.unreachable(`${name} was accepted`);
    assert.is(result.error.code, code);
    assert.is(result.error.field, field);
    assert.is(result.error.message, message);
  });
}

Record('nombre length counts code points after trim', () => {
  const emoji = '👩'.repeat(120);
  assert.ok(validateRecord({ ...valid, nombre: emoji }, jan2026).ok);
  assert.not.ok(validateRecord({ ...valid, nombre: `${emoji}x` }, jan2026).ok);
  assert.ok(validateRecord(normalizeRecord({ ...valid, nombre: `  ${emoji}  ` }), jan2026).ok);
  assert.not.ok(validateRecord(normalizeRecord({ ...valid, nombre: '   ' }), jan2026).ok);
});

Record('rango buckets', () => {
  assert.is(rangoOf(0), '0-9');
  assert.is(rangoOf(9), '0-9');
  assert.is(rangoOf(61), '60-69');
  assert.is(rangoOf(90), '90-100');
  assert.is(rangoOf(100), '90-100');
});

Record.run();
