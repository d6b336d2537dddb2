/**
 * Reads a claim's declarative `Expectation` two ways: as words for the page and as a pass/fail
 * verdict on a recording. The vitest suite asserts the same expectations with its own matchers;
 * the rules here mirror them (deep equality, inclusive bounds, regex on the string form).
 */
import type { Claim, Expectation, LabRun } from '../../labs/_lib/types.ts';
import { formatValue } from './format.ts';

/** The expectation in words, e.g. `between 0.8 and 1.6`, `one of ECONNREFUSED, ETIMEDOUT`. */
export function describeExpectation(e: Expectation): string {
  if ('equals' in e) return `equals ${formatValue(e.equals)}`;
  if ('oneOf' in e) return `one of ${e.oneOf.map(formatValue).join(', ')}`;
  if ('between' in e) return `between ${e.between[0]} and ${e.between[1]}`;
  if ('atLeast' in e) return `at least ${e.atLeast}`;
  if ('atMost' in e) return `at most ${e.atMost}`;
  return `matches /${e.matches}/`;
}

// Key order must not matter for equality: recordings are JSON written by another program.
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}

/** Whether `value` satisfies the expectation. */
export function meetsExpectation(e: Expectation, value: unknown): boolean {
  if ('equals' in e) return canonical(value) === canonical(e.equals);
  if ('oneOf' in e) return e.oneOf.some((o) => canonical(o) === canonical(value));
  if (typeof value !== 'number' && !('matches' in e)) return false;
  if ('between' in e) return (value as number) >= e.between[0] && (value as number) <= e.between[1];
  if ('atLeast' in e) return (value as number) >= e.atLeast;
  if ('atMost' in e) return (value as number) <= e.atMost;
  return new RegExp(e.matches).test(String(value));
}

/** One claim checked against one recording. */
export interface ClaimVerdict {
  claim: Claim;
  expected: string;
  /** The observed value, formatted; the error message when `observe` threw. */
  observed: string;
  pass: boolean;
  /** Set when `observe` threw on this recording (counts as a failure). */
  error?: string;
}

/** Evaluates every claim of a lab on a recording; a throwing `observe` is a visible failure. */
export function checkClaims(claims: Claim[], run: LabRun): ClaimVerdict[] {
  return claims.map((claim) => {
    const expected = describeExpectation(claim.expect);
    try {
      const value = claim.observe(run);
      return { claim, expected, observed: formatValue(value), pass: meetsExpectation(claim.expect, value) };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return { claim, expected, observed: `observe() threw: ${error}`, pass: false, error };
    }
  });
}
