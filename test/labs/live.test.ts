/**
 * Live re-runs: every lab runs on this machine's kernel and every claim is asserted on what it
 * observed. Labs run concurrently, each in its own sandbox, so the suite takes about as long as
 * the slowest lab. Outside CI a machine that cannot run labs skips with the reason; in CI
 * (CI=true) it fails, so a broken environment can never pass as green.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { labs as allLabs } from '../../labs/index.ts';
import type { LabRun } from '../../labs/_lib/types.ts';
import { assertClaim } from '../support/claims.ts';
import { DEFAULT_CONCURRENCY, runEach, slowestFirst } from '../../labs/_lib/subprocess.ts';
import { runLive } from '../support/cli.ts';
import { availability, skipLive } from '../support/gate.ts';
import { hostState } from '../support/host-state.ts';

/** `LABS=teardown npx vitest run test/labs` runs only the labs whose id starts with a prefix. */
const only = process.env.LABS?.split(',').filter(Boolean);
const labs = only
  ? allLabs.filter((lab) => only.some((prefix) => lab.id.startsWith(prefix)))
  : allLabs;

async function runAll(): Promise<Map<string, LabRun>> {
  const ids = slowestFirst(labs.map((lab) => lab.id));
  const runs = await runEach(ids, DEFAULT_CONCURRENCY, async (id) => (await runLive([id]))[0]);
  return new Map(ids.map((id, i) => [id, runs[i]]));
}

describe.skipIf(skipLive)('labs on this kernel', () => {
  let runs: Map<string, LabRun>;
  let before: ReturnType<typeof hostState>;
  beforeAll(async () => {
    expect(availability.ok, `this machine cannot run labs:\n${availability.reason}`).toBe(true);
    before = hostState();
    runs = await runAll();
  }, 600_000);

  it('leaves the host network, namespaces, listeners and sysctls exactly as they were', () => {
    expect(hostState()).toEqual(before);
  });

  describe.each(labs.map((lab) => [lab.id, lab] as const))('%s', (id, lab) => {
    it('records the kernel it ran on', () => {
      expect(runs.get(id)!.kernel.release).toMatch(/^\d+\.\d+/);
    });
    it.each(lab.claims.map((claim) => [claim.says, claim] as const))('%s', (_says, claim) => {
      assertClaim(claim, runs.get(id)!);
    });
  });
});
