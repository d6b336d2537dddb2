/**
 * The per-kernel summaries: `labs:record` keeps the primary kernel's summary in step with the
 * recordings it rewrites, and refuses in words to mix kernels.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  readSummaries,
  summaryEntry,
  updatePrimarySummary,
  writeSummary,
  type KernelSummary,
} from '../../labs/_lib/recordings.ts';
import type { LabRun } from '../../labs/_lib/types.ts';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

const claim = (id: string, holds: boolean, observed: unknown) => ({
  id,
  holds,
  observed,
  expected: 'equals 1',
  beforeChange: false,
  cost: false,
});

function withPrimary(release: string): string {
  root = mkdtempSync(join(tmpdir(), 'summary-'));
  const summary: KernelSummary = {
    name: release.split('.').slice(0, 2).join('.'),
    release,
    accel: 'none',
    primary: true,
    recordedAt: '2026-01-01T00:00:00Z',
    labs: [
      summaryEntry('a/one', [claim('x', true, 1)]),
      summaryEntry('b/two', [claim('y', true, 1)]),
    ],
  };
  writeSummary(summary, root);
  return root;
}

const run = (release: string) =>
  ({
    id: 'a/one',
    recordedAt: '2026-02-02T00:00:00Z',
    kernel: { release, version: '#1', machine: 'x86_64' },
  }) as LabRun;

describe('updatePrimarySummary', () => {
  it('replaces the recorded lab and keeps the others', () => {
    const dir = withPrimary('6.18.44');
    const warning = updatePrimarySummary(
      run('6.18.44'),
      summaryEntry('a/one', [claim('x', false, 2)]),
      dir,
    );
    expect(warning).toBeUndefined();
    const [primary] = readSummaries(dir);
    expect(primary!.recordedAt).toBe('2026-02-02T00:00:00Z');
    expect(primary!.labs.map((l) => [l.id, l.claims[0]!.holds, l.claims[0]!.observed])).toEqual([
      ['a/one', false, 2],
      ['b/two', true, 1],
    ]);
  });

  it('leaves the summary alone and says why when the kernel is another one', () => {
    const dir = withPrimary('6.18.44');
    const warning = updatePrimarySummary(run('6.8.0'), summaryEntry('a/one', []), dir);
    expect(warning).toMatch(/describes 6\.18\.44, this kernel is 6\.8\.0.*--kernels host/);
    expect(readSummaries(dir)[0]!.labs[0]!.claims).toHaveLength(1);
  });
});
