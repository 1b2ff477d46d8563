import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { maxYear } from '../lib/record.ts';
import { REDIS_KEYS } from '../lib/store/names.ts';
import { counter, postNota, startDatabases, startRoutes, VALID, type Databases, type PostOptions, type Routes } from './helpers/routes.ts';

const Input = suite('routes input');
let databases: Databases;
let routes: Routes;

Input.before(async () => {
  databases = await startDatabases('input');
  routes = await startRoutes(databases.env);
});

Input.after(async () => {
  await routes?.close();
  await databases?.close();
});

interface Case {
  name: string;
  record?: unknown;
  options?: PostOptions;
  status: number;
  code: string;
  field: string | null;
  /** Exact message, or a fragment when `partial` is set. */
  message: string;
  partial?: boolean;
}

function without(field: keyof typeof VALID): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...VALID };
  delete copy[field];
  return copy;
}

const nextYear = maxYear();

const missing: Case[] = (['carnet', 'nombre', 'curso', 'nota', 'semestre', 'year'] as const).map((field) => ({
  name: `missing ${field}`,
  record: without(field),
  status: 400,
  code: 'missing_field',
  field,
  message: `${field} is required: `,
  partial: true,
}));

const cases: Case[] = [
  ...missing,
  { name: 'carnet as string', record: { ...VALID, carnet: '2019' }, status: 400, code: 'invalid_type', field: 'carnet', message: 'carnet must be an integer from 1 to 999999999, got "2019"' },
  { name: 'carnet zero', record: { ...VALID, carnet: 0 }, status: 400, code: 'invalid_value', field: 'carnet', message: 'carnet must be an integer from 1 to 999999999, got 0' },
  { name: 'carnet too large', record: { ...VALID, carnet: 1_000_000_000 }, status: 400, code: 'invalid_value', field: 'carnet', message: 'carnet must be an integer from 1 to 999999999, got 1000000000' },
  { name: 'nota operator object', record: { ...VALID, nota: { $gt: 0 } }, status: 400, code: 'invalid_type', field: 'nota', message: 'nota must be an integer from 0 to 100, got {"$gt":0}' },
  { name: 'nombre as array', record: { ...VALID, nombre: ['x'] }, status: 400, code: 'invalid_type', field: 'nombre', message: 'nombre must be a string of 1 to 120 characters without control characters, got ["x"]' },
  { name: 'nombre only spaces', record: { ...VALID, nombre: '   ' }, status: 400, code: 'invalid_value', field: 'nombre', message: 'nombre must be a string of 1 to 120 characters without control characters, got ""' },
  { name: 'nombre control char', record: { ...VALID, nombre: 'a\u0000b' }, status: 400, code: 'invalid_value', field: 'nombre', message: 'nombre must be a string of 1 to 120 characters without control characters, got "a\\u0000b"' },
  { name: 'nombre lone surrogate', record: { ...VALID, nombre: 'a\ud800b' }, status: 400, code: 'invalid_value', field: 'nombre', message: 'nombre must be a string of 1 to 120 characters without control characters, got "a\\ud800b"' },
  { name: 'curso lowercase', record: { ...VALID, curso: 'so1' }, status: 400, code: 'invalid_value', field: 'curso', message: 'curso must be a course code of 2 to 10 characters A-Z or 0-9, such as SO1, got "so1"' },
  { name: 'semestre 3S', record: { ...VALID, semestre: '3S' }, status: 400, code: 'invalid_value', field: 'semestre', message: 'semestre must be one of "1S", "2S", got "3S"' },
  { name: 'year as string', record: { ...VALID, year: '2024' }, status: 400, code: 'invalid_type', field: 'year', message: `year must be an integer from 2000 to ${nextYear}, got "2024"` },
  { name: 'year 1999', record: { ...VALID, year: 1999 }, status: 400, code: 'invalid_value', field: 'year', message: `year must be an integer from 2000 to ${nextYear}, got 1999` },
  { name: 'year past next', record: { ...VALID, year: nextYear + 1 }, status: 400, code: 'invalid_value', field: 'year', message: `year must be an integer from 2000 to ${nextYear}, got ${nextYear + 1}` },
  { name: 'nota 101', record: { ...VALID, nota: 101 }, status: 400, code: 'invalid_value', field: 'nota', message: 'nota must be an integer from 0 to 100, got 101' },
  { name: 'nota -1', record: { ...VALID, nota: -1 }, status: 400, code: 'invalid_value', field: 'nota', message: 'nota must be an integer from 0 to 100, got -1' },
  { name: 'nota 90.5', record: { ...VALID, nota: 90.5 }, status: 400, code: 'invalid_type', field: 'nota', message: 'nota must be an integer from 0 to 100, got 90.5' },
  { name: 'nota as string', record: { ...VALID, nota: '90' }, status: 400, code: 'invalid_type', field: 'nota', message: 'nota must be an integer from 0 to 100, got "90"' },
  { name: 'nota null', record: { ...VALID, nota: null }, status: 400, code: 'invalid_type', field: 'nota', message: 'nota must be an integer from 0 to 100, got null' },
  { name: 'nota boolean', record: { ...VALID, nota: true }, status: 400, code: 'invalid_type', field: 'nota', message: 'nota must be an integer from 0 to 100, got true' },
  { name: 'extra $where key', record: { ...VALID, $where: 'sleep(1000)' }, status: 400, code: 'forbidden_key', field: '$where', message: 'field "$where" is not allowed: keys starting with "$" are rejected' },
  { name: 'extra ordinary key', record: { ...VALID, edad: 20 }, status: 400, code: 'unknown_field', field: 'edad', message: 'unknown field "edad"' },
  { name: 'wrong-case key', record: { ...VALID, Nota: 90 }, status: 400, code: 'unknown_field', field: 'Nota', message: 'unknown field "Nota"; did you mean "nota"? Field names are lowercase' },
  {
    name: '__proto__ key',
    options: { raw: `{"carnet":1,"nombre":"A","curso":"SO1","nota":90,"semestre":"1S","year":2024,"__proto__":{"admin":true}}` },
    status: 400, code: 'unknown_field', field: '__proto__', message: 'unknown field "__proto__"',
  },
  { name: 'array body', record: [VALID], status: 400, code: 'invalid_body', field: null, message: 'body must be a JSON object with fields carnet, nombre, curso, nota, semestre, year, got an array' },
  { name: 'null body', options: { raw: 'null' }, status: 400, code: 'invalid_body', field: null, message: 'body must be a JSON object with fields carnet, nombre, curso, nota, semestre, year, got null' },
  { name: 'invalid json', options: { raw: '{"carnet": 1,' }, status: 400, code: 'invalid_json', field: null, message: 'body is not valid JSON: ', partial: true },
  { name: 'empty body', options: { raw: '' }, status: 400, code: 'invalid_json', field: null, message: 'body is empty: expected one JSON object' },
  { name: 'invalid utf-8', options: { raw: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) }, status: 400, code: 'invalid_json', field: null, message: 'body is not valid UTF-8' },
  { name: 'wrong content type', record: VALID, options: { contentType: 'text/plain' }, status: 415, code: 'unsupported_media_type', field: null, message: 'body must be sent as application/json, got Content-Type "text/plain"' },
  { name: 'form content type', record: VALID, options: { contentType: 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type', field: null, message: 'body must be sent as application/json, got Content-Type "application/x-www-form-urlencoded"' },
  { name: 'latin1 charset', record: VALID, options: { contentType: 'application/json; charset=latin1' }, status: 415, code: 'unsupported_media_type', field: null, message: 'body must be sent as application/json, got Content-Type "application/json; charset=latin1"' },
  { name: '50 KB nombre', record: { ...VALID, nombre: 'x'.repeat(50_000) }, status: 413, code: 'payload_too_large', field: null, message: 'body is larger than 16384 bytes' },
  { name: 'key too long', record: VALID, options: { key: 'k'.repeat(129) }, status: 400, code: 'invalid_idempotency_key', field: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 _ . : -, got ', partial: true },
  { name: 'key with space', record: VALID, options: { key: 'a b' }, status: 400, code: 'invalid_idempotency_key', field: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 _ . : -, got "a b"' },
  { name: 'key with slash', record: VALID, options: { key: 'a/b' }, status: 400, code: 'invalid_idempotency_key', field: 'Idempotency-Key', message: 'Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 _ . : -, got "a/b"' },
];

for (const testCase of cases) {
  Input(`rejects ${testCase.name}`, async () => {
    const answers = await Promise.all(
      (['grpc', 'cache'] as const).map((ruta) => postNota(routes.byName[ruta].url, testCase.record, testCase.options)),
    );

    for (const [index, ruta] of (['grpc', 'cache'] as const).entries()) {
      const answer = answers[index];
      assert.is(answer.status, testCase.status, `${ruta}: ${answer.text}`);
      assert.is(answer.headers.get('x-ruta'), ruta);
      assert.is(answer.body.error.code, testCase.code, `${ruta} code`);
      assert.is(answer.body.error.field, testCase.field, `${ruta} field`);
      if (testCase.partial) assert.match(answer.body.error.message, testCase.message, `${ruta} message`);
      else assert.is(answer.body.error.message, testCase.message, `${ruta} message`);
      assert.type(answer.body.error.accepted, 'string', `${ruta} accepted`);
    }

    assert.equal(answers[0].body, answers[1].body, 'routes answered differently');
    assert.is(await databases.collection.countDocuments({}), 0, 'a rejected record was stored in mongodb');
    assert.is(await counter(databases.redisClient, REDIS_KEYS.total), 0, 'a rejected record was counted in redis');
  });
}

Input('compressed body is rejected', async () => {
  for (const ruta of ['grpc', 'cache'] as const) {
    const response = await fetch(`${routes.byName[ruta].url}/notas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: JSON.stringify(VALID),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await response.json();

    assert.is(response.status, 415, ruta);
    assert.is(response.headers.get('x-ruta'), ruta);
    assert.is(body.error.code, 'unsupported_encoding');
    assert.is(body.error.message, 'Content-Encoding "gzip" is not supported; send the body uncompressed');
  }
  assert.is(await databases.collection.countDocuments({}), 0);
});

Input.run();
