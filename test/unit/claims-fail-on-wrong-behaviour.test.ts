/**
 * Claims that once passed without proving what the chapter says now fail on the wrong behaviour:
 * each committed recording, with one fact changed to what a different kernel (or a wrong
 * explanation) would give, must make that claim fail, while the untouched recording passes.
 */
import { describe, expect, it } from 'vitest';
import { verdict } from '../../labs/_lib/claims.ts';
import { readRecording } from '../../labs/_lib/recordings.ts';
import type { LabRun } from '../../labs/_lib/types.ts';
import { labs } from '../../labs/index.ts';

describe.each([
  // IW10: a first flight of 9 or 11 segments is not "the initial window of 10".
  ['mtu-mss/pmtu-discovery', 'first-flight-size', 'bigSegmentsSent', 9],
  ['mtu-mss/pmtu-discovery', 'first-flight-size', 'bigSegmentsSent', 11],
  // EMSGSIZE at the boundary: a 1473-byte send that went out would mean no limit at 1472.
  ['mtu-mss/udp-emsgsize', 'fits-link', 'sendFitsLink', 1473],
  ['mtu-mss/udp-emsgsize', 'just-over-path', 'sendJustOverPath', 1253],
  // ISNs: a counter or a clock alone (different 4-tuples close to one line) is not random.
  ['handshakes/isn-clock-plus-hash', 'cross-tuple-hash', 'crossTupleMedianDistance', 1_118_125],
  // Four buffers: one byte unaccounted for breaks the identity written = own Send-Q + peer Recv-Q.
  ['flow-control/four-buffers', 'client-accounted', 'clientUnaccounted', 1],
] as const)('%s · %s', (id, claimId, fact, wrong) => {
  const lab = labs.find((l) => l.id === id)!;
  const claim = lab.claims.find((c) => c.id === claimId)!;
  const recorded = readRecording(id)!;
  const withFact = (value: unknown): LabRun => ({
    ...recorded,
    facts: { ...recorded.facts, [fact]: value },
  });

  it('holds on the recording', () => expect(verdict(claim, recorded).holds).toBe(true));
  it(`fails when ${fact} is ${wrong}`, () =>
    expect(verdict(claim, withFact(wrong)).holds).toBe(false));
});
