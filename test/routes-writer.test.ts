import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../lib/config.ts';
import type { NotasServiceClient } from '../lib/generated/notas/v1/NotasService.ts';
import type { RegistrarRequest } from '../lib/generated/notas/v1/RegistrarRequest.ts';
import type { RegistrarResponse__Output } from '../lib/generated/notas/v1/RegistrarResponse.ts';
import { checkHealth, createHealthClient, loadNotasProto, NOTAS_SERVICE_NAME, recordErrorOf } from '../lib/grpc.ts';
import { grpcServerSpec, startGrpcServer, type GrpcServerHandle } from '../route-grpc/server.ts';
import { startDatabases, testLogger, uniqueKey, VALID, type Databases } from './helpers/routes.ts';

const Writer = suite('routes writer');
let databases: Databases;
let writer: GrpcServerHandle;
let client: NotasServiceClient;

Writer.before(async () => {
  databases = await startDatabases('writer');
  writer = await startGrpcServer(loadConfig(grpcServerSpec, databases.env), testLogger('writer'));
  const proto = loadNotasProto();
  client = new proto.notas.v1.NotasService(writer.target, grpc.credentials.createInsecure());
});

Writer.after(async () => {
  client?.close();
  await writer?.close();
  await databases?.close();
});

function registrar(request: RegistrarRequest): Promise<RegistrarResponse__Output> {
  return new Promise((resolve, reject) => {
    client.Registrar(request, { deadline: Date.now() + 5_000 }, (error, response) => {
      if (error !== null || response === undefined) reject(error);
      else resolve(response);
    });
  });
}

async function rejection(request: RegistrarRequest): Promise<grpc.ServiceError> {
  try {
    await registrar(request);
  } catch (error) {
    return error as grpc.ServiceError;
  }
  return assert.unreachable('the writer accepted the request') as never;
}

Writer('stores and replays a key', async () => {
  const key = uniqueKey('writer');
  const first = await registrar({ registro: VALID, idempotency_key: key });
  const second = await registrar({ registro: VALID, idempotency_key: key });

  assert.equal(first, { id: key, duplicate: false });
  assert.equal(second, { id: key, duplicate: true });
});

Writer('reused key is ALREADY_EXISTS', async () => {
  const key = uniqueKey('writer-reused');
  await registrar({ registro: VALID, idempotency_key: key });
  const error = await rejection({ registro: { ...VALID, nota: 5 }, idempotency_key: key });

  assert.is(error.code, grpc.status.ALREADY_EXISTS);
  assert.is(error.details, `idempotency_key "${key}" was already used for a different record`);
  assert.is((await databases.collection.findOne({ _id: key }))?.nota, VALID.nota);
});

Writer('keeps zero values', async () => {
  const key = uniqueKey('zero');
  await registrar({ registro: { ...VALID, nota: 0 }, idempotency_key: key });

  const stored = await databases.collection.findOne({ _id: key });
  assert.is(stored?.nota, 0);
  assert.is(stored?.rango, '0-9');
  assert.is(stored?.aprobado, false);
});

Writer('empty key gets a generated id', async () => {
  const response = await registrar({ registro: VALID, idempotency_key: '' });
  assert.is(response.duplicate, false);
  assert.ok((response.id ?? '').length > 0, 'empty id');
  assert.is(await databases.collection.countDocuments({ _id: response.id }), 1);
});

Writer('missing field is invalid argument', async () => {
  const { nota: _nota, ...withoutNota } = VALID;
  const error = await rejection({ registro: withoutNota, idempotency_key: uniqueKey('missing') });

  assert.is(error.code, grpc.status.INVALID_ARGUMENT);
  assert.is(error.details, 'nota is required: an integer from 0 to 100');
  assert.equal(recordErrorOf(error), { code: 'missing_field', field: 'nota', message: 'nota is required: an integer from 0 to 100', accepted: 'an integer from 0 to 100' });
});

Writer('missing registro is invalid argument', async () => {
  const error = await rejection({ idempotency_key: uniqueKey('empty') });
  assert.is(error.code, grpc.status.INVALID_ARGUMENT);
  assert.is(recordErrorOf(error).code, 'invalid_body');
});

Writer('out of range nota is invalid argument', async () => {
  const error = await rejection({ registro: { ...VALID, nota: 101 } });
  assert.is(error.code, grpc.status.INVALID_ARGUMENT);
  assert.is(error.details, 'nota must be an integer from 0 to 100, got 101');
  assert.is(recordErrorOf(error).field, 'nota');
});

Writer('bad key is invalid argument', async () => {
  const error = await rejection({ registro: VALID, idempotency_key: 'a b' });
  assert.is(error.code, grpc.status.INVALID_ARGUMENT);
  assert.is(error.details, 'idempotency_key must be 1 to 128 characters of A-Z a-z 0-9 _ . : - or empty');
  assert.is(recordErrorOf(error).field, 'idempotency_key');
});

Writer('NOTA_APROBACION sets aprobado', async () => {
  const strict = await startGrpcServer(loadConfig(grpcServerSpec, { ...databases.env, NOTA_APROBACION: '95' }), testLogger('writer'));
  const proto = loadNotasProto();
  const strictClient = new proto.notas.v1.NotasService(strict.target, grpc.credentials.createInsecure());

  try {
    const key = uniqueKey('strict');
    await new Promise<void>((resolve, reject) => {
      strictClient.Registrar({ registro: { ...VALID, nota: 90 }, idempotency_key: key }, { deadline: Date.now() + 5_000 }, (error) => (error === null ? resolve() : reject(error)));
    });
    assert.is((await databases.collection.findOne({ _id: key }))?.aprobado, false, '90 passed with a passing grade of 95');
  } finally {
    strictClient.close();
    await strict.close();
  }
});

Writer('health reports serving', async () => {
  const health = createHealthClient(writer.target);
  try {
    assert.is(await checkHealth(health, NOTAS_SERVICE_NAME, 2_000), 'SERVING');
    assert.is(await checkHealth(health, '', 2_000), 'SERVING');
  } finally {
    health.close();
  }
});

Writer.run();
