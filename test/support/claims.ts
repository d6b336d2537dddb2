/**
 * Asserts a claim on a run with the verdict the CLI and the site use (labs/_lib/claims.ts), so the
 * tests cannot disagree with the page; a failure prints the observed value against the
 * expectation instead of "expected false to be true".
 */
import { expect } from 'vitest';
import { show, verdict } from '../../labs/_lib/claims.ts';
import type { Claim, LabRun } from '../../labs/_lib/types.ts';

export function assertClaim(claim: Claim, run: LabRun): void {
  const v = verdict(claim, run);
  const observed = v.error ? `nothing (observe threw: ${v.error})` : show(v.observed);
  const message = `${run.id} · ${claim.id}: ${claim.says}\n    expected ${v.expected}, observed ${observed}`;
  expect(v.holds, message).toBe(true);
}
