/**
 * Every lab has a committed recording, every claim holds on it, and the recording's packets are
 * exactly what its committed .pcap decodes to. Runs anywhere: no root, no Linux needed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labs } from '../../labs/index.ts';
import { decodePcap } from '../../labs/_lib/pcap.ts';
import { readRecording, recordingPath, REPO_DIR } from '../../labs/_lib/recordings.ts';
import { assertClaim } from '../support/claims.ts';

describe.each(labs.map((lab) => [lab.id, lab] as const))('recording of %s', (id, lab) => {
  const paths = {
    json: join(REPO_DIR, recordingPath(id, 'json')),
    pcap: join(REPO_DIR, recordingPath(id, 'pcap')),
  };
  const run = readRecording(id);

  it('exists, with the kernel it was recorded on', () => {
    expect(run, `missing ${paths.json}: run npm run labs:record -- ${id}`).toBeDefined();
    expect(run!.id).toBe(id);
    expect(run!.kernel.release).toMatch(/^\d+\.\d+/);
  });

  it('holds packets that are exactly what its .pcap decodes to', () => {
    expect(existsSync(paths.pcap), `missing ${paths.pcap}`).toBe(true);
    expect(decodePcap(readFileSync(paths.pcap))).toEqual(run!.packets);
  });

  it.each(lab.claims.map((claim) => [claim.says, claim] as const))('%s', (_says, claim) => {
    assertClaim(claim, run!);
  });
});
