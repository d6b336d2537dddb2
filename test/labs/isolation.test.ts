/**
 * Labs do not see each other: two copies of one lab and a different lab, run at the same time,
 * each in its own sandbox, all observe what they observe alone (every claim holds in each).
 */
import { describe, expect, it } from 'vitest';
import { findLab } from '../../labs/index.ts';
import { assertClaim } from '../support/claims.ts';
import { runLive } from '../support/cli.ts';
import { skipLive } from '../support/gate.ts';

// Both use the same addresses and ports; the accept-queue lab also counts host-wide-looking
// counters (nstat), which must be per-run.
const RUNS = [
  'handshakes/accept-queue-overflow',
  'handshakes/accept-queue-overflow',
  'handshakes/self-connect',
];

describe.skipIf(skipLive)('labs run concurrently', () => {
  it('give the same results as alone', async () => {
    const results = await Promise.all(RUNS.map((id) => runLive([id])));
    expect(results.map(([run]) => run.id)).toEqual(RUNS);
    results.forEach(([run]) => {
      for (const claim of findLab(run.id)!.claims) assertClaim(claim, run);
    });
    // The two copies ran with independent counters: each saw exactly its own overflows.
    expect(results[0][0].facts.listenOverflows).toBe(results[0][0].facts.droppedSyns);
    expect(results[1][0].facts.listenOverflows).toBe(results[1][0].facts.droppedSyns);
  }, 60_000);
});
