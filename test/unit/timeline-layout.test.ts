import { describe, expect, it } from 'vitest';
import { formatTimer, layoutTimeline, stateKind } from '../../src/components/timeline/layout.ts';
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

describe('the final state', () => {
  // An orderly close seen from both ends, as `ss` samples it (timer and time left included).
  const close = [
    ev(0.069, 'client', 'ESTAB'),
    ev(0.069, 'server', 'ESTAB'),
    ev(0.0696, 'client', 'FIN-WAIT-1', { timer: 'on', expiresMs: 204 }),
    ev(0.0696, 'server', 'CLOSE-WAIT'),
    ev(0.0747, 'client', 'FIN-WAIT-2', { timer: 'timewait', expiresMs: 60000 }),
    ev(0.0925, 'server', 'GONE'),
    ev(0.0927, 'client', 'TIME-WAIT', { timer: 'timewait', expiresMs: 60000 }),
  ];
  const timeline = layoutTimeline(close)!;
  const last = (label: string) => timeline.tracks.find((t) => t.label === label)!.spans.at(-1)!;

  it('always ends each track with its last state, labelled with the timer ss reported', () => {
    expect(last('client')).toMatchObject({
      state: 'TIME-WAIT',
      final: true,
      to: timeline.columns.length,
      label: 'TIME-WAIT (timer: 60 s left)',
    });
    expect(last('server')).toMatchObject({ state: 'GONE', final: true, label: 'GONE' });
    // Earlier states are bounded by the next change and carry no timer.
    const fin1 = timeline.tracks[0]!.spans[1]!;
    expect([fin1.label, fin1.final]).toEqual(['FIN-WAIT-1', false]);
  });

  it('draws the final state past the last change, into a tail wide enough for its label', () => {
    const n = timeline.columns.length;
    const tail = timeline.x[n + 1]! - timeline.x[last('client').from]!;
    expect(timeline.x).toHaveLength(n + 2);
    expect(tail).toBeGreaterThanOrEqual('TIME-WAIT (timer: 60 s left)'.length * 6.7);
    expect(timeline.width).toBeGreaterThan(timeline.x[n + 1]!);
  });

  it('keeps every track’s final change when there are more changes than columns', () => {
    const flapping = [
      ...Array.from({ length: 60 }, (_, i) =>
        ev(i * 0.01, 'server', i % 2 ? 'ESTAB' : 'CLOSE-WAIT'),
      ),
      ev(0.001, 'client', 'ESTAB'),
      ev(0.3, 'client', 'TIME-WAIT', { timer: 'timewait', expiresMs: 59000 }),
    ];
    const t = layoutTimeline(flapping, { maxColumns: 12 })!;
    expect(t.columns).toHaveLength(12);
    expect(t.columns).toContain(0.3);
    expect(t.columns.at(-1)).toBe(0.59);
    expect(t.hidden).toBe(61 - 12);
    expect(t.tracks.find((tr) => tr.label === 'client')!.spans.at(-1)!.label).toBe(
      'TIME-WAIT (timer: 59 s left)',
    );
  });

  it('prints tick times with enough decimals to tell neighbours apart', () => {
    expect(timeline.ticks).toEqual(['0.069 s', '0.070 s', '0.075 s', '0.092 s', '0.093 s']);
    const close = layoutTimeline([
      ev(0.0695, 'client', 'ESTAB'),
      ev(0.0696, 'client', 'FIN-WAIT-1'),
      ev(0.0701, 'client', 'FIN-WAIT-2'),
    ])!;
    expect(close.ticks).toEqual(['0.0695 s', '0.0696 s', '0.0701 s']);
  });
});

describe('tracks', () => {
  it('splits a host into one track per local port when its samples name several', () => {
    const timeline = layoutTimeline([
      ev(0.01, 'client', 'ESTAB', { local: 41010 }),
      ev(0.02, 'client', 'FIN-WAIT-2', { local: 41010 }),
      // No port: it belongs to the connection whose next sample is in the same state.
      { t: 0.029, host: 'client', event: 'established', state: 'ESTAB' },
      ev(0.03, 'client', 'ESTAB', { local: 48144 }),
      ev(0.04, 'client', 'TIME-WAIT', { local: 48144, timer: 'timewait', expiresMs: 60000 }),
      // No port, and no later sample: the connection already in that state.
      { t: 2.1, host: 'client', event: 'still', state: 'FIN-WAIT-2' },
    ])!;
    expect(timeline.tracks.map((t) => [t.label, t.spans.map((s) => `${s.label}@${s.t}`)])).toEqual([
      ['client :41010', ['ESTAB@0.01', 'FIN-WAIT-2@0.02']],
      ['client :48144', ['ESTAB@0.029', 'TIME-WAIT (timer: 60 s left)@0.04']],
    ]);
  });

  it('formats timers as ss reports them', () => {
    expect(formatTimer(204)).toBe('204 ms');
    expect(formatTimer(60000)).toBe('60 s');
    expect(formatTimer(3260)).toBe('3.26 s');
  });
});
