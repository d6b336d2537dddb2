/**
 * The kernel matrix, smoke-tested: Debian's 6.1 kernel boots under qemu and runs three labs, one
 * of them with a claim whose answer changed in 6.5 (SYN retransmissions: doubling on 6.1). Skipped
 * with the reason where qemu or the kernel package cannot be had; required in CI, where .ci/run
 * installs them. Writes into a temporary directory, never into the checkout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePcap } from '../../labs/_lib/pcap.ts';
import { readRecording, recordingPath, type KernelSummary } from '../../labs/_lib/recordings.ts';
import { availability } from '../../labs/_lib/vm/index.ts';
import { ROOT } from '../support/cli.ts';
import { labsRequired } from '../support/gate.ts';

const LABS = [
  'handshakes/three-way-handshake',
  'reachability/linear-syn-retries',
  'socket-options/nagle-delayed-ack',
];
const [six1] = availability(['6.1']);
const missing = six1!.missing.map((m) => `${m.what} (${m.install})`).join('; ');
if (missing && !labsRequired) console.warn(`Skipping the kernel matrix smoke test: ${missing}`);

describe.skipIf(Boolean(missing) && !labsRequired)('the kernel matrix on Debian 6.1', () => {
  const out = mkdtempSync(join(tmpdir(), 'labs-matrix-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('boots 6.1 under qemu, runs three labs and records them apart from the host', async () => {
    expect(missing, 'the matrix needs these in CI').toBe('');
    const matrix = spawn(
      process.execPath,
      [join(ROOT, 'labs/matrix.ts'), '--kernels', '6.1', '--out', out, ...LABS],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    matrix.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((done) => matrix.on('close', done));
    expect(code, stderr).toBe(0);

    const summary = JSON.parse(
      readFileSync(join(out, 'labs/kernels/6.1/summary.json'), 'utf8'),
    ) as KernelSummary;
    expect(summary).toMatchObject({ name: '6.1', primary: false });
    expect(summary.release).toMatch(/^6\.1\./);
    expect(summary.labs.map((l) => [l.id, l.status])).toEqual(
      [...LABS].sort().map((id) => [id, 'ran']),
    );
    // Every claim holds on 6.1, with the pre-6.5 expectation where the answer changed.
    expect(
      summary.labs.flatMap((l) => l.claims.filter((c) => !c.holds).map((c) => `${l.id} · ${c.id}`)),
    ).toEqual([]);
    const syns = summary.labs
      .find((l) => l.id === 'reachability/linear-syn-retries')!
      .claims.find((c) => c.id === 'syns')!;
    expect(syns).toMatchObject({ observed: 3, beforeChange: true });

    // The guest's recordings are whole: their packets are what their captures decode to.
    for (const id of LABS) {
      const run = readRecording(id, out, '6.1')!;
      expect(run.kernel.release).toBe(summary.release);
      const pcap = readFileSync(join(out, recordingPath(id, 'pcap', '6.1')));
      expect(decodePcap(pcap)).toEqual(run.packets);
    }
  }, 240_000);
});
