/** Limits a run must meet to exit 0. */
export interface Thresholds {
  /** Largest accepted share of unexpected failures, 0 to 1; 0 means any failure fails the run. */
  maxFailureRatio: number;
  /** Largest accepted overall p95 and p99, ms; null when not checked. */
  p95MaxMs: number | null;
  p99MaxMs: number | null;
}

export interface ThresholdResult {
  name: 'failure ratio' | 'p95' | 'p99' | 'completed requests';
  limit: number;
  observed: number;
  passed: boolean;
  message: string;
}

export interface ThresholdReport {
  passed: boolean;
  results: ThresholdResult[];
}

export const DEFAULT_THRESHOLDS: Thresholds = { maxFailureRatio: 0, p95MaxMs: null, p99MaxMs: null };

/** Checks a run's totals against the limits; a run that completed no request never passes. */
export function evaluateThresholds(
  totals: { requests: number; failures: number; p95Ms: number; p99Ms: number },
  thresholds: Thresholds,
): ThresholdReport {
  const results: ThresholdResult[] = [];

  const completed = totals.requests > 0;
  results.push({
    name: 'completed requests',
    limit: 1,
    observed: totals.requests,
    passed: completed,
    message: completed ? `${totals.requests} requests completed` : 'no request completed',
  });

  const ratio = totals.requests === 0 ? 0 : totals.failures / totals.requests;
  const ratioPassed = ratio <= thresholds.maxFailureRatio;
  results.push({
    name: 'failure ratio',
    limit: thresholds.maxFailureRatio,
    observed: ratio,
    passed: ratioPassed,
    message: `failure ratio ${formatRatio(ratio)} (${totals.failures} of ${totals.requests}) ${ratioPassed ? 'within' : 'exceeds'} --max-failure-ratio ${thresholds.maxFailureRatio}`,
  });

  for (const [name, limit, observed] of [['p95', thresholds.p95MaxMs, totals.p95Ms], ['p99', thresholds.p99MaxMs, totals.p99Ms]] as const) {
    if (limit === null) continue;
    const passed = observed <= limit;
    results.push({
      name,
      limit,
      observed,
      passed,
      message: `${name} ${observed.toFixed(1)} ms ${passed ? 'within' : 'exceeds'} --${name}-max ${limit} ms`,
    });
  }

  return { passed: results.every((result) => result.passed), results };
}

function formatRatio(ratio: number): string {
  return ratio === 0 ? '0' : ratio.toFixed(4);
}
