/**
 * Runs the lab CLI as a separate process, as a reader would, for the tests, the stress script and
 * the benchmark. Each call is its own sandbox, so calls can run concurrently.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { LABS_DIR } from './probes.ts';
import { readRecording } from './recordings.ts';
import type { Result, RunResult } from './result.ts';

export const CLI_PATH = resolve(LABS_DIR, 'cli.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the whole process, launcher and sandbox included, in milliseconds. */
  wallMs: number;
}

/** Runs `node labs/cli.ts ...args`; resolves on exit whatever the code; kills it after `timeoutMs`. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: resolve(LABS_DIR, '..'),
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      fail(new Error(`lab CLI ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, wallMs: performance.now() - started });
    });
  });
}

/** Runs labs with --json; throws with the CLI's message when it exits non-zero. */
export async function runLabsJson(
  ids: string[],
  env: NodeJS.ProcessEnv = {},
  extraArgs: string[] = [],
): Promise<{ runs: RunResult[]; wallMs: number; result: Result }> {
  const cli = await runCli([...ids, '--json', ...extraArgs], env);
  if (cli.code !== 0)
    throw new Error(`lab CLI exited ${cli.code} for ${ids.join(' ')}:\n${cli.stderr.trim()}`);
  const result = JSON.parse(cli.stdout) as Result;
  return { runs: result.runs, wallMs: cli.wallMs, result };
}

/** Runs each lab in its own process, `concurrency` at a time; results in the input order. */
export async function runEach<T>(
  ids: string[],
  concurrency: number,
  run: (id: string) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      results[i] = await run(ids[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  return results;
}

/**
 * The same ids, the slowest first by their recorded wall time (unrecorded ones first of all):
 * with several at a time, starting the long waits early keeps the suite as short as its
 * slowest lab instead of ending with one long lab running alone.
 */
export function slowestFirst(ids: string[]): string[] {
  const recordedMs = (id: string) => readRecording(id)?.wallMs ?? Number.POSITIVE_INFINITY;
  const ms = new Map(ids.map((id) => [id, recordedMs(id)]));
  return [...ids].sort((a, b) => ms.get(b)! - ms.get(a)!);
}

/**
 * Labs mostly wait on protocol timers, not the CPU: this many run at once by default. Measured on
 * 2 cores: the suite takes 29 s at 4, 24 s at 6, 24-25 s at 8 (CPU-bound from 6 on).
 */
export const DEFAULT_CONCURRENCY = 6;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
