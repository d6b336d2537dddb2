/**
 * The kernel matrix's committed evidence: each kernel's summary says exactly what its recordings
 * show (recomputed with the claims of today), every recording of another kernel is whole (packets
 * equal what its capture decodes to), and every claim that carries a kernel change holds on every
 * kernel it was recorded on, on both sides of the change. Runs anywhere.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labs } from '../../labs/index.ts';
import { decodePcap } from '../../labs/_lib/pcap.ts';
import {
  readRecording,
  readSummaries,
  recordingPath,
  REPO_DIR,
} from '../../labs/_lib/recordings.ts';
import { checkRun } from '../../labs/_lib/result.ts';
import { chapters } from '../../content/chapters.ts';
import { differenceGroups } from '../../src/lib/kernels.ts';

const summaries = readSummaries();

describe.each(summaries.map((s) => [s.name, s] as const))('kernel %s', (name, summary) => {
  const ran = summary.labs.filter((l) => l.status === 'ran' && labs.some((x) => x.id === l.id));

  it('was recorded on the release it names', () => {
    expect(summary.release.startsWith(name)).toBe(true);
  });

  it.each(ran.map((l) => [l.id, l] as const))(
    '%s: the summary matches its recording',
    (id, entry) => {
      const kernel = summary.primary ? undefined : name;
      const run = readRecording(id, REPO_DIR, kernel);
      expect(run, `missing ${recordingPath(id, 'json', kernel)}`).toBeDefined();
      expect(run!.kernel.release).toBe(summary.release);
      const checked = checkRun(
        labs.find((l) => l.id === id)!,
        run!,
      );
      expect(
        entry.claims.map((c) => [c.id, c.holds, c.observed]),
        'summary.json is stale: re-run npm run labs:matrix for this kernel',
      ).toEqual(checked.claims.map((c) => [c.id, c.holds, c.observed]));
      if (!summary.primary) {
        const pcap = join(REPO_DIR, recordingPath(id, 'pcap', kernel));
        if (existsSync(pcap)) expect(decodePcap(readFileSync(pcap))).toEqual(run!.packets);
        else expect(run!.packets).toEqual([]);
      }
    },
  );

  const versionAware = ran.flatMap((l) => {
    const lab = labs.find((x) => x.id === l.id)!;
    return lab.claims
      .filter((c) => c.kernel)
      .map((c) => [`${l.id} · ${c.id}`, l.claims.find((x) => x.id === c.id)] as const);
  });
  it.each(versionAware)('%s holds on this kernel (it names its kernel change)', (_id, claim) => {
    expect(claim?.holds).toBe(true);
  });
});

describe('/kernels/', () => {
  const { byChapter, costs } = differenceGroups(chapters);
  const listed = [...byChapter.flatMap((g) => g.rows), ...costs.rows];

  it('lists every claim that does not hold on some kernel, so each "differs" count has its rows', () => {
    const failing = summaries.flatMap((s) =>
      s.labs.flatMap((l) => l.claims.filter((c) => !c.holds).map((c) => `${l.id}#${c.id}`)),
    );
    expect(failing.length).toBeGreaterThan(0);
    for (const id of failing) expect(listed.map((r) => `${r.labId}#${r.claimId}`)).toContain(id);
  });

  it('keeps claims that bound a cost apart from kernel differences', () => {
    expect(costs.rows.length).toBeGreaterThan(0);
    for (const row of costs.rows) {
      expect(
        labs.find((l) => l.id === row.labId)?.claims.find((c) => c.id === row.claimId)?.cost,
      ).toBe(true);
    }
    expect(byChapter.flatMap((g) => g.rows).some((r) => r.cost)).toBe(false);
  });
});
