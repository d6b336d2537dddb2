/**
 * Asserts one claim's expectation with vitest's own matchers, so a failure prints the observed
 * value against the expected one instead of "expected false to be true".
 */
import { expect } from 'vitest';
import type { Claim, LabRun } from '../../labs/_lib/types.ts';

export function assertClaim(claim: Claim, run: LabRun): void {
  const value = claim.observe(run);
  const e = claim.expect;
  const label = `${run.id} · ${claim.id}: ${claim.says}`;
  if ('equals' in e) expect(value, label).toEqual(e.equals);
  else if ('oneOf' in e) expect(e.oneOf, label).toContainEqual(value);
  else if ('between' in e) {
    expect(value, label).toBeTypeOf('number');
    expect(value as number, label).toBeGreaterThanOrEqual(e.between[0]);
    expect(value as number, label).toBeLessThanOrEqual(e.between[1]);
  } else if ('atLeast' in e) expect(value as number, label).toBeGreaterThanOrEqual(e.atLeast);
  else if ('atMost' in e) expect(value as number, label).toBeLessThanOrEqual(e.atMost);
  else expect(value as string, label).toMatch(new RegExp(e.matches));
}
