/**
 * The lab card's view of claims: the words and verdicts come from labs/_lib/claims.ts, the one
 * implementation the CLI report also uses; this only formats them for the page.
 */
import { describeExpectation, evaluate, holds, show } from '../../labs/_lib/claims.ts';
import type { Claim, LabRun } from '../../labs/_lib/types.ts';

export { describeExpectation, holds as meetsExpectation };

/** One claim checked against one recording, formatted for the card. */
export interface ClaimVerdict {
  claim: Claim;
  expected: string;
  /** The observed value, formatted; the error message when `observe` threw. */
  observed: string;
  pass: boolean;
  error?: string;
}

/** Evaluates every claim of a lab on a recording; a throwing `observe` is a visible failure. */
export function checkClaims(claims: Claim[], run: LabRun): ClaimVerdict[] {
  return evaluate(claims, run).map((r) => ({
    claim: r.claim,
    expected: r.expected,
    observed: r.error ? `observe() threw: ${r.error}` : show(r.observed),
    pass: r.holds,
    ...(r.error ? { error: r.error } : {}),
  }));
}
