/**
 * The whole data plane as local processes: Redis, FerretDB, the gRPC writer,
 * both HTTP routes and nginx splitting `/notas` between them by the weights
 * of the cluster's HTTPRoute. Used by `npm run local` and the end-to-end tests.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startFerretDB } from './ferretdb.ts';
import { readRouteWeights, startNginx } from './nginx.ts';
import { freePort } from './ports.ts';
import { startProcess, type ManagedProcess } from './process.ts';
import { startRedis } from './redis.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const HTTP_ROUTE_FILE = join(REPO_ROOT, 'k8s', 'base', 'httproute.yaml');

/** Port of the cluster's ingress on the host; the local stack takes it when free. */
export const PREFERRED_INGRESS_PORT = 8080;

export interface LocalStackOptions {
  /** Folder for logs and FerretDB's SQLite files; created when missing. */
  dir: string;
  /** Ingress port; default 8080 when free, else any free port. */
  ingressPort?: number;
  /** Use this MongoDB instead of starting FerretDB. */
  mongoUrl?: string;
  /** Use this Redis instead of starting redis-server. */
  redisUrl?: string;
  /** Called with one line per started component, for progress output. */
  onProgress?: (line: string) => void;
}

/** Contents of `--state-file`: every URL a script needs to use the stack. */
export interface StackState {
  ingress: string;
  routes: { grpc: string; cache: string };
  grpcServer: string;
  mongoUrl: string;
  redisUrl: string;
}

export interface LocalStack extends StackState {
  dir: string;
  weights: Record<string, number>;
  logs: Record<string, string>;
  state(): StackState;
  /** Stops every process the stack started, in reverse order. */
  stop(): Promise<void>;
}

interface Listening {
  port: number;
}

// The services log one JSON line `{"msg":"listening","port":N,...}` once bound.
function parseListening(line: string): Listening | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    return entry.msg === 'listening' && typeof entry.port === 'number' ? { port: entry.port } : undefined;
  } catch {
    return undefined;
  }
}

function startService(name: string, entry: string, env: Record<string, string>, dir: string): Promise<ManagedProcess<Listening>> {
  return startProcess<Listening>({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', join(REPO_ROOT, entry)],
    cwd: REPO_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', ...env },
    logFile: join(dir, `${name}.log`),
    ready: (line) => parseListening(line),
    readyTimeoutMs: 30_000,
  });
}

async function chooseIngressPort(requested: number | undefined): Promise<number> {
  if (requested !== undefined) return requested;

  const preferred = await isFree(PREFERRED_INGRESS_PORT);
  return preferred ? PREFERRED_INGRESS_PORT : freePort();
}

async function isFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

/**
 * Starts the stack and resolves once every component accepts connections.
 * When a component fails to start, everything already started is stopped
 * before the error, which carries that component's log tail, is rethrown.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const progress = options.onProgress ?? (() => undefined);
  const stoppers: Array<() => Promise<void>> = [];
  const logs: Record<string, string> = {};

  const stopAllStarted = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    stoppers.length = 0;
  };

  try {
    const weights = readRouteWeights(HTTP_ROUTE_FILE);
    const ingressPort = await chooseIngressPort(options.ingressPort);

    const [redisUrl, mongoUrl] = await Promise.all([
      (async () => {
        if (options.redisUrl !== undefined) return options.redisUrl;
        const redis = await startRedis({ dir: join(dir, 'redis') });
        stoppers.push(() => redis.stop());
        logs.redis = redis.logFile;
        progress(`redis      ${redis.url}`);
        return redis.url;
      })(),
      (async () => {
        if (options.mongoUrl !== undefined) return options.mongoUrl;

        // redis-server runs without persistence, so FerretDB starts empty too:
        // documents left by an earlier run would make the reconciliation's
        // Redis-versus-MongoDB totals differ.
        const ferretDir = join(dir, 'ferretdb');
        rmSync(join(ferretDir, 'data'), { recursive: true, force: true });
        const ferret = await startFerretDB({ dir: ferretDir });
        stoppers.push(() => ferret.stop());
        logs.ferretdb = ferret.logFile;
        progress(`ferretdb   ${ferret.url}`);
        return ferret.url;
      })(),
    ]);

    // info, not lower: readiness is read from the services' "listening" line.
    const common = { MONGO_URL: mongoUrl, REDIS_URL: redisUrl, LOG_LEVEL: 'info' };

    const writer = await startService('route-grpc-server', 'route-grpc/server.ts', { ...common, GRPC_PORT: '0' }, dir);
    stoppers.push(async () => void (await writer.stop()));
    logs['route-grpc-server'] = writer.logFile;
    const grpcServer = `127.0.0.1:${writer.ready.port}`;
    progress(`grpc       ${grpcServer} (route-grpc-server)`);

    const [grpcRoute, cacheRoute] = await Promise.all([
      startService('route-grpc', 'route-grpc/client.ts', { ...common, PORT: '0', GRPC_TARGET: grpcServer }, dir),
      startService('route-cache', 'route-cache/server.ts', { ...common, PORT: '0' }, dir),
    ]);
    stoppers.push(async () => void (await grpcRoute.stop()));
    stoppers.push(async () => void (await cacheRoute.stop()));
    logs['route-grpc'] = grpcRoute.logFile;
    logs['route-cache'] = cacheRoute.logFile;
    const routes = {
      grpc: `http://127.0.0.1:${grpcRoute.ready.port}/notas`,
      cache: `http://127.0.0.1:${cacheRoute.ready.port}/notas`,
    };
    progress(`route-grpc  ${routes.grpc}`);
    progress(`route-cache ${routes.cache}`);

    const nginx = await startNginx({
      dir: join(dir, 'nginx'),
      port: ingressPort,
      upstreams: [
        { ruta: 'grpc', address: `127.0.0.1:${grpcRoute.ready.port}`, weight: weights.get('grpc') ?? 0 },
        { ruta: 'cache', address: `127.0.0.1:${cacheRoute.ready.port}`, weight: weights.get('cache') ?? 0 },
      ],
    });
    stoppers.push(() => nginx.stop());
    logs.nginx = nginx.logFile;
    progress(`ingress    ${nginx.url} (nginx, weights grpc=${weights.get('grpc')} cache=${weights.get('cache')})`);

    const state: StackState = { ingress: nginx.url, routes, grpcServer, mongoUrl, redisUrl };
    return {
      ...state,
      dir,
      weights: Object.fromEntries(weights),
      logs,
      state: () => state,
      stop: stopAllStarted,
    };
  } catch (error) {
    await stopAllStarted();
    throw error;
  }
}
