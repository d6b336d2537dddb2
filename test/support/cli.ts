/** Runs the lab CLI as a real subprocess, the way a reader does. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { LabRun } from '../../labs/_lib/types.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(ROOT, 'labs/cli.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node labs/cli.ts ...args`; never throws on a non-zero exit. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      reject(new Error(`lab CLI ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Runs labs live and returns their runs; throws with the CLI's own message if it failed. */
export async function runLive(ids: string[]): Promise<LabRun[]> {
  const result = await cli([...ids, '--json']);
  if (result.code !== 0) throw new Error(`lab CLI exited ${result.code}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as LabRun[];
}

/**
 * Whether this machine can run labs, from the CLI's own `doctor`. In CI a machine that cannot is
 * a failure, not a skip (see test/labs).
 */
export async function labsAvailability(): Promise<{ ok: boolean; reason: string }> {
  const result = await cli(['doctor']);
  return { ok: result.code === 0, reason: result.stdout.trim() || result.stderr.trim() };
}
