/** The lab CLI as a subprocess, for tests (see labs/_lib/subprocess.ts). */
import { runCli, runLabsJson } from '../../labs/_lib/subprocess.ts';
import type { LabRun } from '../../labs/_lib/types.ts';

export { REPO_DIR as ROOT } from '../../labs/_lib/recordings.ts';

/** Runs `node labs/cli.ts ...args`; never throws on a non-zero exit. */
export const cli = (args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs?: number) =>
  runCli(args, env, timeoutMs);

/** Runs labs live and returns their runs; throws with the CLI's own message if it failed. */
export async function runLive(ids: string[]): Promise<LabRun[]> {
  return (await runLabsJson(ids)).runs;
}

/** Whether this machine can run labs, from the CLI's own `doctor`. */
export async function labsAvailability(): Promise<{ ok: boolean; reason: string }> {
  const result = await cli(['doctor']);
  return { ok: result.code === 0, reason: result.stdout.trim() || result.stderr.trim() };
}
