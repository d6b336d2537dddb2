/**
 * Why a lab could not run, as distinct exit codes. "The environment broke" is never reported as
 * "the kernel behaved differently": those are claim results, printed, not errors.
 */

/** Exit codes of `npm run lab`, documented in labs/README.md. */
export const EXIT = {
  ok: 0,
  /** A claim did not hold (only with --strict). */
  claimFailed: 1,
  /** Unknown lab, bad flag, unwritable output path. */
  usage: 2,
  /** This machine cannot run labs: not Linux, no namespaces, user namespaces forbidden. */
  noSandbox: 3,
  /** A tool the lab needs is missing (C compiler, iproute2). */
  missingTool: 4,
  /** Setting up the lab failed (a probe died naming its call, a command failed). */
  setup: 5,
  /** The kernel lacks a feature this lab needs. */
  unsupported: 6,
  /** Interrupted by SIGINT; everything was cleaned up. */
  interrupted: 130,
  /** The run was killed (SIGKILL) or crashed without reporting; nothing of it is left running. */
  killed: 137,
  /** Terminated by SIGTERM (or the npm process that started it went away); cleaned up. */
  terminated: 143,
} as const;

/** An error the CLI reports as one line of cause plus one line of hint, with its own exit code. */
export class LabError extends Error {
  readonly exitCode: number;
  readonly hint: string;
  constructor(exitCode: number, message: string, hint = '') {
    super(message);
    this.name = 'LabError';
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

export const usageError = (message: string, hint = 'Run `npm run lab -- --help` for usage.') =>
  new LabError(EXIT.usage, message, hint);
