/**
 * Reading a claim's declarative expectation two ways, for the CLI report and the site's lab
 * card: as words, and as a verdict on a run. The tests do not use `holds()`: they assert each
 * expectation with vitest's own matchers (test/support/claims.ts), by the same rules: deep
 * equality regardless of key order, inclusive bounds, `matches` on the value's string form.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Claim, Expectation, LabRun } from './types.ts';

/** A value as a reader expects it: strings bare, everything else as compact JSON. */
export function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '(absent)';
  return JSON.stringify(value);
}

/** The expectation in words, e.g. `between 0.8 and 1.6`, `one of ECONNREFUSED, ETIMEDOUT`. */
export function describeExpectation(e: Expectation): string {
  if ('equals' in e) return `equals ${show(e.equals)}`;
  if ('oneOf' in e) return `one of ${e.oneOf.map(show).join(', ')}`;
  if ('between' in e) return `between ${e.between[0]} and ${e.between[1]}`;
  if ('atLeast' in e) return `at least ${e.atLeast}`;
  if ('atMost' in e) return `at most ${e.atMost}`;
  return `matches /${e.matches}/`;
}

/** Whether an observed value meets the expectation (a non-number never meets a bound). */
export function holds(e: Expectation, value: unknown): boolean {
  if ('equals' in e) return isDeepStrictEqual(value, e.equals);
  if ('oneOf' in e) return e.oneOf.some((v) => isDeepStrictEqual(value, v));
  if ('matches' in e) return new RegExp(e.matches).test(String(value));
  if (typeof value !== 'number') return false;
  if ('between' in e) return value >= e.between[0] && value <= e.between[1];
  if ('atLeast' in e) return value >= e.atLeast;
  return value <= e.atMost;
}

/** One claim checked on one run. */
export interface ClaimResult {
  claim: Claim;
  id: string;
  says: string;
  /** The expectation in words. */
  expected: string;
  /** The observed value; undefined when `observe` threw (see `error`). */
  observed: unknown;
  holds: boolean;
  /** Set when `observe` threw on this run: a visible failure, never a crash. */
  error?: string;
  kernelNote?: string;
}

/** Evaluates every claim of a lab on a run. */
export function evaluate(claims: Claim[], run: LabRun): ClaimResult[] {
  return claims.map((claim) => {
    const base = {
      claim,
      id: claim.id,
      says: claim.says,
      expected: describeExpectation(claim.expect),
      ...(claim.kernelNote ? { kernelNote: claim.kernelNote } : {}),
    };
    try {
      const observed = claim.observe(run);
      return { ...base, observed, holds: holds(claim.expect, observed) };
    } catch (err) {
      return {
        ...base,
        observed: undefined,
        holds: false,
        error: err instanceof Error ? err.message : String(err),
      };
    }
  });
}
