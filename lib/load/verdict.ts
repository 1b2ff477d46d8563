import type { Reconciliation } from '../reconcile.ts';
import type { LoadSummary } from './summary.ts';

/**
 * The reconciliation that `--verify` adds to the report. A type-only import,
 * so the report code does not load the database drivers.
 */
export type VerificationReport = Reconciliation;

/** Overall outcome of a run: what decides the exit status, with a reason per failed check. */
export interface RunVerdict {
  passed: boolean;
  reasons: string[];
}

/**
 * Decides the run's result: it fails when a threshold fails (unexpected
 * failures count through --max-failure-ratio, 0 by default) or when the
 * reconciliation found a mismatch. `verification` is null without --verify.
 */
export function runVerdict(summary: LoadSummary, verification: VerificationReport | null): RunVerdict {
  const reasons = summary.thresholds.results.filter((check) => !check.passed).map((check) => check.message);
  if (verification !== null && !verification.ok) {
    const failed = verification.checks.filter((check) => !check.ok).map((check) => check.name);
    reasons.push(`reconciliation found a mismatch (${failed.join(', ')})`);
  }
  return { passed: reasons.length === 0, reasons };
}
