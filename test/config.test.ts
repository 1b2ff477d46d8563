import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../lib/config.ts';
import { routeCacheSpec } from '../route-cache/server.ts';
import { routeGrpcSpec } from '../route-grpc/client.ts';
import { grpcServerSpec } from '../route-grpc/server.ts';

const Config = suite('service config');

const ENTRIES = {
  'route-cache': 'route-cache/server.ts',
  'route-grpc': 'route-grpc/client.ts',
  'route-grpc-server': 'route-grpc/server.ts',
} as const;

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an entry file with extra env; nothing listens on port 1, so no database is reached. */
function runEntry(file: string, env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      env: { ...process.env, MONGO_URL: 'mongodb://127.0.0.1:1', REDIS_URL: 'redis://127.0.0.1:1', MONGO_TIMEOUT_MS: '100', REDIS_TIMEOUT_MS: '100', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const badValues: Array<[keyof typeof ENTRIES, string, string, string]> = [
  ['route-cache', 'PORT', 'abc', 'an integer from 0 to 65535 (TCP port, 0 for any free port)'],
  ['route-cache', 'REDIS_URL', 'http://127.0.0.1:6379', 'a URL starting with redis:// or rediss://'],
  ['route-cache', 'NOTA_APROBACION', '101', 'an integer from 0 to 100'],
  ['route-grpc', 'PORT', '70000', 'an integer from 0 to 65535 (TCP port, 0 for any free port)'],
  ['route-grpc', 'GRPC_DEADLINE_MS', '10', 'an integer from 50 to 60000 (milliseconds)'],
  ['route-grpc', 'GRPC_TARGET', 'no port', 'host:port, such as 127.0.0.1:50051'],
  ['route-grpc-server', 'GRPC_PORT', '-1', 'an integer from 0 to 65535 (TCP port, 0 for any free port)'],
  ['route-grpc-server', 'MONGO_URL', 'http://127.0.0.1:27017', 'a URL starting with mongodb:// or mongodb+srv://'],
  ['route-grpc-server', 'LOG_LEVEL', 'loud', 'one of fatal, error, warn, info, debug, trace, silent'],
];

// Each run pays for tsx start-up, so all of them start at once.
let results: RunResult[] = [];
Config.before(async () => {
  results = await Promise.all(badValues.map(([service, variable, value]) => runEntry(ENTRIES[service], { [variable]: value })));
});

for (const [index, [service, variable, value, accepted]] of badValues.entries()) {
  Config(`${service} rejects bad ${variable}`, () => {
    const result = results[index];
    assert.is(result.status, 78, `exit code; stderr: ${result.stderr}`);
    assert.is(result.stderr, `config error: invalid ${variable}=${JSON.stringify(value)}: expected ${accepted}\n`);
    assert.is(result.stdout, '', 'nothing may be logged before the config is valid');
  });
}

Config('bind failure exits 1', async () => {
  const occupied = createServer();
  await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
  const address = occupied.address();
  if (address === null || typeof address === 'string') return assert.unreachable('no address');

  try {
    const result = await runEntry(ENTRIES['route-cache'], { PORT: String(address.port) });
    assert.is(result.status, 1, result.stdout);
    assert.match(result.stdout, `"msg":"start failed"`);
    assert.match(result.stdout, `listen on 127.0.0.1:${address.port} failed`);
  } finally {
    await new Promise((resolve) => occupied.close(resolve));
  }
});

Config('defaults stay on loopback', () => {
  const grpc = loadConfig(routeGrpcSpec, {});
  const cache = loadConfig(routeCacheSpec, {});
  const writer = loadConfig(grpcServerSpec, {});

  assert.is(grpc.host, '127.0.0.1');
  assert.is(grpc.grpcTarget, '127.0.0.1:50051');
  assert.is(cache.host, '127.0.0.1');
  assert.is(cache.mongoUrl, 'mongodb://127.0.0.1:27017');
  assert.is(cache.redisUrl, 'redis://127.0.0.1:6379');
  assert.is(cache.passingGrade, 61);
  assert.is(writer.host, '127.0.0.1');
  assert.is(writer.grpcPort, 50051);
});

Config.run();
