/**
 * Evaluating claims on a run, for the CLI's report and the site's card. The tests do not use
 * `holds()`: they assert each expectation with vitest's own matchers (test/support/claims.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Claim, Expectation, LabRun } from './types.ts';

/** The expectation in words, e.g. "between 0.8 and 1.6", "= ECONNREFUSED". */
export function describeExpectation(e: Expectation): string {
  if ('equals' in e) return `= ${show(e.equals)}`;
  if ('oneOf' in e) return `one of ${e.oneOf.map(show).join(', ')}`;
  if ('between' in e) return `between ${e.between[0]} and ${e.between[1]}`;
  if ('atLeast' in e) return `≥ ${e.atLeast}`;
  if ('atMost' in e) return `≤ ${e.atMost}`;
  return `matches /${e.matches}/`;
}

/** Whether an observed value meets the expectation. */
export function holds(e: Expectation, value: unknown): boolean {
  if ('equals' in e) return isDeepStrictEqual(value, e.equals);
  if ('oneOf' in e) return e.oneOf.some((v) => isDeepStrictEqual(value, v));
  if ('between' in e) return typeof value === 'number' && value >= e.between[0] && value <= e.between[1];
  if ('atLeast' in e) return typeof value === 'number' && value >= e.atLeast;
  if ('atMost' in e) return typeof value === 'number' && value <= e.atMost;
  return typeof value === 'string' && new RegExp(e.matches).test(value);
}

export interface ClaimResult {
  id: string;
  says: string;
  expected: string;
  observed: unknown;
  holds: boolean;
  kernelNote?: string;
}

/** Evaluates every claim; an observer that throws counts as not holding, with the error shown. */
export function evaluate(claims: Claim[], run: LabRun): ClaimResult[] {
  return claims.map((claim) => {
    let observed: unknown;
    try {
      observed = claim.observe(run);
    } catch (error) {
      observed = `(could not observe: ${(error as Error).message})`;
      return { id: claim.id, says: claim.says, expected: describeExpectation(claim.expect), observed, holds: false };
    }
    return {
      id: claim.id,
      says: claim.says,
      expected: describeExpectation(claim.expect),
      observed,
      holds: holds(claim.expect, observed),
      ...(claim.kernelNote ? { kernelNote: claim.kernelNote } : {}),
    };
  });
}

/** Compact text for an observed value. */
export function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
