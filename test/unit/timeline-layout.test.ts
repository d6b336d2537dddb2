import { describe, expect, it } from 'vitest';
import { layoutTimeline, stateKind } from '../../src/components/timeline/layout.ts';
import type { LabEvent } from '../../labs/_lib/types.ts';

const ev = (
  t: number,
  host: string,
  state: string,
  extra: Record<string, unknown> = {},
): LabEvent => ({ t, host, event: 'state', state, ...extra });

describe('state timeline layout', () => {
  it('returns nothing when no socket changes state', () => {
    expect(
      layoutTimeline([
        ev(0.1, 'client', 'ESTAB', { i: 0 }),
        ev(0.1, 'client', 'SYN-SENT', { i: 1 }),
      ]),
    ).toBeUndefined();
  });

  it('merges repeated samples and spans each state to the next change', () => {
    const timeline = layoutTimeline([
      ev(0.1, 'client', 'ESTAB'),
      ev(0.2, 'server', 'ESTAB'),
      ev(0.3, 'client', 'FIN-WAIT-1'),
      ev(0.3, 'client', 'FIN-WAIT-1'),
      ev(0.31, 'server', 'CLOSE-WAIT'),
      ev(0.32, 'client', 'FIN-WAIT-2'),
      { t: 0.4, host: 'client', event: 'note' },
    ])!;
    expect(timeline.columns).toEqual([0.1, 0.2, 0.3, 0.31, 0.32]);
    expect(
      timeline.tracks.map((t) => [t.label, t.spans.map((s) => `${s.state}@${s.from}-${s.to}`)]),
    ).toEqual([
      ['client', ['ESTAB@0-2', 'FIN-WAIT-1@2-4', 'FIN-WAIT-2@4-5']],
      ['server', ['ESTAB@1-3', 'CLOSE-WAIT@3-5']],
    ]);
    expect(timeline.samples).toHaveLength(5);
  });

  it('keeps sockets of one host apart when events number them', () => {
    const timeline = layoutTimeline([
      ev(0, 'client', 'SYN-SENT', { i: 0 }),
      ev(1, 'client', 'ESTAB', { i: 0 }),
      ev(0, 'client', 'SYN-SENT', { i: 1 }),
    ])!;
    expect(timeline.tracks.map((t) => t.label)).toEqual(['client #0', 'client #1']);
  });

  it.each([
    ['ESTAB', 'established'],
    ['SYN-SENT', 'opening'],
    ['FIN-WAIT-2', 'closing'],
    ['LAST-ACK', 'closing'],
    ['TIME-WAIT', 'waiting'],
    ['CLOSE-WAIT', 'waiting'],
    ['GONE', 'closed'],
  ])('colours %s as %s', (state, kind) => {
    expect(stateKind(state)).toBe(kind);
  });
});
