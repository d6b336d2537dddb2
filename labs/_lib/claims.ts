/**
 * A claim's verdict on a run, the one implementation the CLI report, the site's lab card and the
 * tests all use: the observed value, the expectation in words, and whether it holds (deep
 * equality regardless of key order, inclusive bounds, `matches` on the value's string form).
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

/** `6.1.0-57-amd64` → [6, 1, 0]; `6.5` → [6, 5]. */
export function releaseNumbers(release: string): number[] {
  return (/^\d+(?:\.\d+)*/.exec(release)?.[0] ?? '0').split('.').map(Number);
}

/** Whether `release` is at least `since` (`6.12.3` ≥ `6.5`; missing parts count as 0). */
export function atLeastRelease(release: string, since: string): boolean {
  const a = releaseNumbers(release);
  const b = releaseNumbers(since);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** The expectation that applies on a kernel release, and whether it is the pre-change one. */
export function expectationFor(
  claim: Claim,
  release: string,
): { expect: Expectation; before: boolean } {
  const before = claim.kernel !== undefined && !atLeastRelease(release, claim.kernel.since);
  return { expect: before ? claim.kernel!.before : claim.expect, before };
}

/** The value a claim checks on a run: its named fact, or what its `observe` computes. */
export function observe(claim: Claim, run: LabRun): unknown {
  return claim.fact !== undefined ? run.facts[claim.fact] : claim.observe(run);
}

/** One claim checked on one run. */
export interface Verdict {
  claim: Claim;
  /** The expectation in words, for the kernel the run recorded. */
  expected: string;
  /** True when the run's kernel predates `claim.kernel.since`, so `kernel.before` applied. */
  beforeChange: boolean;
  /** The observed value; undefined when `observe` threw (see `error`). */
  observed: unknown;
  holds: boolean;
  /** Set when `observe` threw on this run: a visible failure, never a crash. */
  error?: string;
}

/** Checks one claim on a run. */
export function verdict(claim: Claim, run: LabRun): Verdict {
  const { expect, before } = expectationFor(claim, run.kernel?.release ?? '0');
  const expected = describeExpectation(expect);
  const base = { claim, expected, beforeChange: before };
  try {
    const observed = observe(claim, run);
    return { ...base, observed, holds: holds(expect, observed) };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { ...base, observed: undefined, holds: false, error };
  }
}

/** Checks every claim of a lab on a run. */
export function verdicts(claims: Claim[], run: LabRun): Verdict[] {
  return claims.map((claim) => verdict(claim, run));
}
