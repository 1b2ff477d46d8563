/** Two-sided z for a 99% confidence level. */
export const Z_99 = 2.5758293035489;

/** Observed share of one route with its confidence interval, against the expected share. */
export interface RouteShare {
  route: string;
  count: number;
  share: number;
  low: number;
  high: number;
  /** Expected share from the weights, 0 for a route the weights do not name. */
  expected: number;
  /** True when the expected share lies inside the interval. */
  consistent: boolean;
}

export interface SplitCheck {
  confidence: 0.99;
  /** Responses that named a route; responses without `x-ruta` are left out. */
  responses: number;
  /** Expected weights normalised to shares. */
  expected: Record<string, number>;
  routes: RouteShare[];
  verdict: 'consistent' | 'deviates' | 'no data';
  reason: string;
}

/**
 * Returns the Wilson score interval of `successes` out of `trials`, which
 * stays inside [0, 1] and keeps its coverage at shares near 0 or 1, unlike
 * the normal approximation.
 */
export function wilsonInterval(successes: number, trials: number, z = Z_99): { low: number; high: number } {
  if (trials === 0) return { low: 0, high: 1 };

  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const margin = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { low: Math.max(0, centre - margin), high: Math.min(1, centre + margin) };
}

/**
 * Parses `grpc=50,cache=50` into weights; returns an error sentence when
 * malformed. Every weight must be above 0, because a route expected to get
 * nothing cannot be checked with an interval around a share.
 */
export function parseWeights(raw: string): Record<string, number> | string {
  const weights: Record<string, number> = {};
  for (const part of raw.split(',')) {
    const match = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(\S*)\s*$/.exec(part);
    if (match === null) return `"${part}" is not route=weight`;

    const [, route, text] = match;
    const weight = Number(text);
    if (text === '' || !Number.isFinite(weight) || weight <= 0) return `weight "${text}" of ${route} is not a number above 0`;
    weights[route] = weight;
  }
  return weights;
}

/** Compares the observed responses per route with the expected weights. */
export function checkSplit(countsByRoute: Record<string, number>, weights: Record<string, number>): SplitCheck {
  const weightSum = Object.values(weights).reduce((total, weight) => total + weight, 0);
  const expected: Record<string, number> = {};
  for (const [route, weight] of Object.entries(weights)) expected[route] = weight / weightSum;

  const known = Object.entries(countsByRoute).filter(([route]) => route !== 'unknown');
  const responses = known.reduce((total, [, count]) => total + count, 0);
  const names = [...new Set([...Object.keys(expected), ...known.map(([route]) => route)])].sort();

  const routes = names.map((route): RouteShare => {
    const count = countsByRoute[route] ?? 0;
    const { low, high } = wilsonInterval(count, responses);
    const share = responses === 0 ? 0 : count / responses;
    const expectedShare = expected[route] ?? 0;
    return { route, count, share, low, high, expected: expectedShare, consistent: expectedShare >= low && expectedShare <= high };
  });

  if (responses === 0) {
    return { confidence: 0.99, responses, expected, routes, verdict: 'no data', reason: 'no response carried an x-ruta header' };
  }

  const off = routes.filter((route) => !route.consistent);
  if (off.length === 0) {
    return { confidence: 0.99, responses, expected, routes, verdict: 'consistent', reason: 'every expected share lies inside its 99% interval' };
  }

  const details = off.map((route) => `${route.route} expected ${percent(route.expected)}, observed ${percent(route.share)} (99% CI ${percent(route.low)}-${percent(route.high)})`);
  return { confidence: 0.99, responses, expected, routes, verdict: 'deviates', reason: details.join('; ') };
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
