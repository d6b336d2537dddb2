/**
 * What `npm run lab -- … --json` prints: one JSON document on stdout, of the versioned shape
 * described by labs/result.schema.json. Scripts read `exitCode`, `summary` and each run's
 * `claims`; the rest is the run as recorded. A change that breaks a reader of this shape bumps
 * RESULT_VERSION (and the schema's `version` const).
 */
import { verdicts } from './claims.ts';
import type { Expectation, KernelChange, Lab, LabRun } from './types.ts';

export const RESULT_FORMAT = 'socket-labs-result';
export const RESULT_VERSION = 1;

/** One claim checked on one run, as plain JSON. */
export interface ClaimResult {
  id: string;
  says: string;
  /** The fact the claim reads, when it names one. */
  fact?: string;
  /** The expectation that applied on this run's kernel, as data and in words. */
  expect: Expectation;
  expected: string;
  /** The observed value; absent when the run did not record it. */
  observed?: unknown;
  holds: boolean;
  /** Set when computing the observed value failed. */
  error?: string;
  kernel?: KernelChange;
  /** True when the run's kernel predates `kernel.since`, so `kernel.before` applied. */
  beforeChange: boolean;
  cost: boolean;
  kernelNote?: string;
}

/** A run with its claims checked. */
export type RunResult = LabRun & { claims: ClaimResult[] };

export interface Summary {
  labs: number;
  claims: number;
  held: number;
  differed: number;
  wallMs: number;
}

/** The document printed on success (whatever the claims' verdicts). */
export interface Result {
  format: typeof RESULT_FORMAT;
  version: typeof RESULT_VERSION;
  exitCode: number;
  runs: RunResult[];
  summary: Summary;
}

/** The document printed when the command could not run. */
export interface ErrorResult {
  format: typeof RESULT_FORMAT;
  version: typeof RESULT_VERSION;
  exitCode: number;
  error: { message: string; hint?: string };
}

/** A run with its claims checked by the one verdict function. */
export function checkRun(lab: Lab, run: LabRun): RunResult {
  const claims = verdicts(lab.claims, run).map((v): ClaimResult => {
    const c = v.claim;
    return {
      id: c.id,
      says: c.says,
      ...(c.fact !== undefined ? { fact: c.fact } : {}),
      expect: v.beforeChange ? c.kernel!.before : c.expect,
      expected: v.expected,
      ...(v.observed !== undefined ? { observed: v.observed } : {}),
      holds: v.holds,
      ...(v.error ? { error: v.error } : {}),
      ...(c.kernel ? { kernel: c.kernel } : {}),
      beforeChange: v.beforeChange,
      cost: c.cost === true,
      ...(c.kernelNote ? { kernelNote: c.kernelNote } : {}),
    };
  });
  return { ...run, claims };
}

/** Counts over checked runs. */
export function summarize(runs: RunResult[], wallMs: number): Summary {
  const claims = runs.flatMap((r) => r.claims);
  const held = claims.filter((c) => c.holds).length;
  return { labs: runs.length, claims: claims.length, held, differed: claims.length - held, wallMs };
}

/** The success document. */
export function result(runs: RunResult[], exitCode: number, wallMs: number): Result {
  return {
    format: RESULT_FORMAT,
    version: RESULT_VERSION,
    exitCode,
    runs,
    summary: summarize(runs, wallMs),
  };
}

/** The failure document. */
export function errorResult(exitCode: number, message: string, hint?: string): ErrorResult {
  return {
    format: RESULT_FORMAT,
    version: RESULT_VERSION,
    exitCode,
    error: { message, ...(hint ? { hint } : {}) },
  };
}
