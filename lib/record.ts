import { Ajv, type ErrorObject } from 'ajv';
import Type, { type Static } from 'typebox';

/** Lowest passing grade, unless NOTA_APROBACION sets another. */
export const DEFAULT_PASSING_GRADE = 61;

export const FIELDS = ['carnet', 'nombre', 'curso', 'nota', 'semestre', 'year'] as const;
export type Field = (typeof FIELDS)[number];

export const MIN_YEAR = 2000;

// The upper bound moves with the calendar: a record may name next year's
// enrolment, never one further ahead.
export const maxYear = (now: Date = new Date()): number => now.getUTCFullYear() + 1;

/** Returns the accepted form of each field, as error messages and docs print it. */
export function acceptedForms(now: Date = new Date()): Record<Field, string> {
  return {
    carnet: 'an integer from 1 to 999999999',
    nombre: 'a string of 1 to 120 characters without control characters',
    curso: 'a course code of 2 to 10 characters A-Z or 0-9, such as SO1',
    nota: 'an integer from 0 to 100',
    semestre: 'one of "1S", "2S"',
    year: `an integer from ${MIN_YEAR} to ${maxYear(now)}`,
  };
}

/**
 * Builds the record's JSON Schema. `nombre` is checked after trimming, so the
 * pattern requires a non-space first and last character. `{1,120}` counts
 * code points because ajv compiles patterns with the `u` flag, and `\p{Cs}`
 * then matches only unpaired surrogates, which UTF-8 cannot store.
 */
export function recordSchema(now: Date = new Date()) {
  return Type.Object(
    {
      carnet: Type.Integer({ minimum: 1, maximum: 999_999_999 }),
      nombre: Type.String({ pattern: '^(?!\\s)[^\\p{Cc}\\p{Cs}]{1,120}(?<!\\s)$' }),
      curso: Type.String({ pattern: '^[A-Z0-9]{2,10}$' }),
      nota: Type.Integer({ minimum: 0, maximum: 100 }),
      semestre: Type.Union([Type.Literal('1S'), Type.Literal('2S')]),
      year: Type.Integer({ minimum: MIN_YEAR, maximum: maxYear(now) }),
    },
    { additionalProperties: false },
  );
}

/** One student grade record, as clients send it and the routes store it. */
export type NotaRecord = Static<ReturnType<typeof recordSchema>>;

/** A validation failure: a stable code, the field at fault and a sentence for people. */
export interface RecordError {
  code: 'invalid_body' | 'missing_field' | 'unknown_field' | 'forbidden_key' | 'invalid_type' | 'invalid_value';
  field: string | null;
  message: string;
  accepted: string;
}

export type Validation = { ok: true; record: NotaRecord } | { ok: false; error: RecordError };

const ajv = new Ajv({ allErrors: true, strict: true });

let compiledYear = -1;
let compiled: ReturnType<typeof ajv.compile> | undefined;

// Compiles again only when the year bound has moved since the last call.
function compiledValidator(now: Date) {
  if (compiled === undefined || compiledYear !== maxYear(now)) {
    compiled = ajv.compile(recordSchema(now));
    compiledYear = maxYear(now);
  }
  return compiled;
}

/** Shows a received value in a message, shortened so a 50 KB string stays readable. */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Checks one record against the shared schema and returns the first problem,
 * most basic first: the body's shape, `$` keys, unknown keys, then each field
 * in record order.
 *
 * @example
 * validateRecord({ carnet: 201900001, nombre: 'Ana', curso: 'SO1', nota: 90, semestre: '1S', year: 2024 })
 * // => { ok: true, record: {...} }
 */
export function validateRecord(input: unknown, now: Date = new Date()): Validation {
  const forms = acceptedForms(now);
  const allFields = FIELDS.join(', ');

  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail('invalid_body', null, `body must be a JSON object with fields ${allFields}, got ${kindOf(input)}`, `a JSON object with fields ${allFields}`);
  }

  const keys = Object.keys(input);
  const dollarKey = keys.find((key) => key.startsWith('$'));
  if (dollarKey !== undefined) {
    return fail('forbidden_key', dollarKey, `field "${dollarKey}" is not allowed: keys starting with "$" are rejected`, `only the fields ${allFields}`);
  }

  const unknownKey = keys.find((key) => !(FIELDS as readonly string[]).includes(key));
  if (unknownKey !== undefined) {
    const hint = FIELDS.find((field) => field === unknownKey.toLowerCase());
    const suffix = hint === undefined ? '' : `; did you mean "${hint}"? Field names are lowercase`;
    return fail('unknown_field', unknownKey, `unknown field "${unknownKey}"${suffix}`, `only the fields ${allFields}`);
  }

  const record = input as Record<string, unknown>;
  for (const field of FIELDS) {
    if (!(field in record)) {
      return fail('missing_field', field, `${field} is required: ${forms[field]}`, forms[field]);
    }
  }

  const validate = compiledValidator(now);
  if (validate(record)) return { ok: true, record: record as NotaRecord };

  const errors = (validate.errors ?? []) as ErrorObject[];
  for (const field of FIELDS) {
    const fieldError = errors.find((error) => error.instancePath === `/${field}`);
    if (fieldError === undefined) continue;

    const code = fieldError.keyword === 'type' ? 'invalid_type' : 'invalid_value';
    return fail(code, field, `${field} must be ${forms[field]}, got ${describeValue(record[field])}`, forms[field]);
  }

  // NOTE: unreachable while every schema rule is tied to a field; kept so a
  // future whole-object rule still yields an error instead of passing.
  return fail('invalid_body', null, `record is invalid: ${ajv.errorsText(errors)}`, `a JSON object with fields ${allFields}`);
}

/**
 * Returns a copy whose `nombre` has surrounding whitespace removed, the
 * normalisation the routes apply before validating. Other values pass through.
 */
export function normalizeRecord(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;

  const copy: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  if (typeof copy.nombre === 'string') copy.nombre = copy.nombre.trim();
  return copy;
}

function fail(code: RecordError['code'], field: string | null, message: string, accepted: string): Validation {
  return { ok: false, error: { code, field, message, accepted } };
}

/** Range bucket of a grade, `0-9` to `80-89` and `90-100`, as stored in `rango`. */
export function rangoOf(nota: number): string {
  if (nota >= 90) return '90-100';
  const low = Math.floor(nota / 10) * 10;
  return `${low}-${low + 9}`;
}

/** Every range bucket in order, for dashboards and reconciliation. */
export const RANGOS = ['0-9', '10-19', '20-29', '30-39', '40-49', '50-59', '60-69', '70-79', '80-89', '90-100'] as const;

/** Idempotency keys: 1 to 128 of A-Z a-z 0-9 _ . : - */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
export const IDEMPOTENCY_KEY_FORM = '1 to 128 characters of A-Z a-z 0-9 _ . : -';
