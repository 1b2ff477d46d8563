/**
 * Prometheus metrics of one HTTP service, in a registry of its own so several
 * services can run in one process (the tests do).
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  requests: Counter<'ruta' | 'method' | 'path' | 'status'>;
  duration: Histogram<'ruta' | 'method' | 'path' | 'status'>;
  /** Failed calls to a dependency, by database (`mongodb`, `redis`) or `writer`. */
  dependencyErrors: Counter<'ruta' | 'dependency' | 'kind'>;
}

/** Paths with their own label value; anything else is counted as `other` to bound the label set. */
export const KNOWN_PATHS = new Set(['/notas', '/healthz', '/readyz', '/metrics']);

export function createHttpMetrics(options: { defaultMetrics?: boolean } = {}): HttpMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'notas_http_requests_total',
    help: 'HTTP responses sent, by route, method, path and status.',
    labelNames: ['ruta', 'method', 'path', 'status'] as const,
    registers: [registry],
  });

  const duration = new Histogram({
    name: 'notas_http_request_duration_seconds',
    help: 'Time from request start to the end of the response, in seconds.',
    labelNames: ['ruta', 'method', 'path', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const dependencyErrors = new Counter({
    name: 'notas_database_errors_total',
    help: 'Failed calls to MongoDB, Redis or the gRPC writer, by dependency and kind of failure.',
    labelNames: ['ruta', 'dependency', 'kind'] as const,
    registers: [registry],
  });

  return { registry, requests, duration, dependencyErrors };
}
