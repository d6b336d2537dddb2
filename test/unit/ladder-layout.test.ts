import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LabRun, Packet } from '../../labs/_lib/types.ts';
import {
  findRetransmissions,
  formatGap,
  formatTime,
  layoutLadder,
  type LadderArrow,
  type LadderGap,
} from '../../src/components/ladder/layout.ts';

// Synthetic, hand-written run: veth handshake, data + retransmission, RST, UDP, ICMP, fragments, self-connect.
const run: LabRun = JSON.parse(
  readFileSync(new URL('../fixtures/sample-run.json', import.meta.url), 'utf8'),
);
const ladder = layoutLadder(run.hosts, run.packets);
const arrows = ladder.rows.filter((r): r is LadderArrow => r.kind === 'packet');
const gaps = ladder.rows.filter((r): r is LadderGap => r.kind === 'gap');
const frame = (n: number) => arrows.find((a) => a.frame === n)!;

/** A copy of one fixture packet with some fields replaced. */
function variant(
  n: number,
  patch: { t?: number; tcp?: Partial<NonNullable<Packet['tcp']>> },
): Packet {
  const p = structuredClone(run.packets[n]!);
  if (patch.t !== undefined) p.t = patch.t;
  Object.assign(p.tcp!, patch.tcp);
  return p;
}

describe('layoutLadder', () => {
  it('returns one column per host, in order, left to right', () => {
    expect(ladder.columns.map((c) => c.name)).toEqual(['client', 'server']);
    expect(ladder.columns[0]!.x).toBeLessThan(ladder.columns[1]!.x);
    expect(ladder.columns.every((c) => !c.implicit)).toBe(true);
  });

  it('adds a visible column for an address no host lists, instead of dropping the packet', () => {
    const stray = {
      ...structuredClone(run.packets[0]!),
      ip: { ...run.packets[0]!.ip, dst: '203.0.113.9' },
    };
    const l = layoutLadder(run.hosts, [stray]);
    expect(l.columns.map((c) => [c.name, c.implicit])).toEqual([
      ['client', false],
      ['server', false],
      ['203.0.113.9', true],
    ]);
    expect((l.rows[0] as LadderArrow).to).toBe(2);
  });

  it('draws every packet once, in capture order, with 1-based frame numbers', () => {
    expect(arrows.map((a) => a.frame)).toEqual(run.packets.map((_, i) => i + 1));
    const ys = arrows.map((a) => a.y);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
  });

  it('points arrows from the source host column to the destination host column', () => {
    expect([frame(1).from, frame(1).to]).toEqual([0, 1]);
    expect([frame(2).from, frame(2).to]).toEqual([1, 0]);
    expect(frame(1).x1).toBe(ladder.columns[0]!.x);
    expect(frame(1).x2).toBe(ladder.columns[1]!.x);
  });

  it('draws a self-connect (same source and destination host) as a loop on one column', () => {
    const self = arrows.filter((a) => a.self);
    expect(self.map((a) => a.frame)).toEqual([12, 13]);
    for (const a of self) {
      expect(a.from).toBe(a.to);
      expect(a.x1).toBe(a.x2);
      expect(a.classes).toContain('self');
    }
    // The loop and its left-aligned label must fit inside the drawing.
    expect(ladder.width).toBeGreaterThan(ladder.columns[0]!.x + 36);
  });

  it('labels TCP segments tcpdump-style with relative numbers, window, length and options', () => {
    expect(frame(1).label).toBe('[S] seq 0, win 64240, length 0');
    expect(frame(1).detail).toBe('40000 → 8080 · mss 1460, sackOK, TS, wscale 7');
    expect(frame(2).label).toBe('[S.] seq 0, ack 1, win 65160, length 0');
    expect(frame(4).label).toBe('[P.] seq 1:6, ack 1, win 502, length 5');
    expect(frame(6).detail).toBe('8080 → 40000 · TS, sack {1:6}');
  });

  it('marks RST by class and by word', () => {
    expect(frame(7).classes).toContain('rst');
    expect(frame(7).marks).toEqual(['RST']);
    expect(frame(7).label).toBe('[R.] seq 1, ack 6, win 0, length 0');
  });

  it('labels UDP, ICMP (with its description) and IP fragments (id, offset in bytes, MF)', () => {
    expect([frame(8).label, frame(8).detail, frame(8).classes]).toEqual([
      'UDP, length 5',
      '40001 → 5353',
      ['udp'],
    ]);
    expect([frame(9).label, frame(9).classes]).toEqual(['ICMP port unreachable', ['icmp']]);
    expect(frame(10).detail).toBe('40002 → 9000 · frag id 4321, offset 0, MF');
    expect(frame(10).classes).toEqual(['udp', 'fragment']);
    expect([frame(11).label, frame(11).detail]).toEqual([
      'IP fragment, length 548',
      'frag id 4321, offset 1480',
    ]);
  });

  it('shows times as seconds since the first packet', () => {
    expect(frame(2).time).toBe('+0.000041 s');
  });

  it('compresses pauses into gap rows instead of scaling rows by time', () => {
    expect(gaps.map((g) => g.text)).toEqual([
      '212 ms later',
      '1.29 s later',
      '99.9 ms later',
      '400 ms later',
    ]);
    // Gap rows sit between the packets they separate.
    const order = ladder.rows.map((r) => (r.kind === 'packet' ? r.frame : r.kind));
    expect(order.slice(3, 6)).toEqual([4, 'gap', 5]);
    // Every packet row has the same height wherever the gaps are.
    expect(frame(5).y - frame(4).y).toBe(frame(2).y - frame(1).y + 30);
  });

  it('interrupts the lifelines at each gap', () => {
    expect(ladder.lifelines).toHaveLength(gaps.length + 1);
  });

  it('lists in the legend only the distinctive kinds present', () => {
    expect(ladder.legend).toEqual([
      'retransmission',
      'rst',
      'udp',
      'icmp',
      'fragment',
      'self',
      'gap',
    ]);
    const plain = layoutLadder(run.hosts, run.packets.slice(0, 3));
    expect(plain.legend).toEqual([]);
  });

  it('moves host lifelines below every address line of the headers', () => {
    const oneAddr = layoutLadder([{ name: 'a', addrs: ['198.51.100.1'] }], run.packets.slice(0, 1));
    expect(ladder.headerHeight).toBe(oneAddr.headerHeight + 14);
  });

  it('lays out an empty capture without rows', () => {
    const l = layoutLadder(run.hosts, []);
    expect(l.rows).toEqual([]);
    expect(l.width).toBeGreaterThan(0);
  });

  it('keeps the first rows in a small, stable shape', () => {
    expect(
      ladder.rows
        .slice(0, 8)
        .map((r) =>
          r.kind === 'packet'
            ? `${r.frame} ${r.from}→${r.to} ${[...r.marks, r.label].join(' ')}`
            : `… ${r.text}`,
        ),
    ).toMatchInlineSnapshot(`
        [
          "1 0→1 [S] seq 0, win 64240, length 0",
          "2 1→0 [S.] seq 0, ack 1, win 65160, length 0",
          "3 0→1 [.] seq 1, ack 1, win 502, length 0",
          "4 0→1 [P.] seq 1:6, ack 1, win 502, length 5",
          "… 212 ms later",
          "5 0→1 retransmission [P.] seq 1:6, ack 1, win 502, length 5",
          "6 1→0 [.] seq 1, ack 6, win 509, length 0",
          "7 1→0 RST [R.] seq 1, ack 6, win 0, length 0",
        ]
      `);
  });
});

describe('findRetransmissions', () => {
  it('flags a data segment that repeats an earlier sequence number and flags in the same direction', () => {
    expect([...findRetransmissions(run.packets)]).toEqual([5]);
  });

  it('flags a retransmitted SYN', () => {
    expect([...findRetransmissions([run.packets[0]!, variant(0, { t: 1.0 })])]).toEqual([2]);
  });

  it('does not flag duplicate pure ACKs (they occupy no sequence space)', () => {
    expect(findRetransmissions([run.packets[2]!, variant(2, { t: 0.1 })]).size).toBe(0);
  });

  it('does not flag a new connection that reuses the 4-tuple with another ISN', () => {
    const again = variant(0, { t: 5, tcp: { seq: 123456789 } });
    expect(findRetransmissions([run.packets[0]!, again]).size).toBe(0);
  });

  it('does not flag a forwarded segment captured again on a second interface', () => {
    const forwarded = { ...structuredClone(run.packets[0]!), iface: 'veth1', t: 0.00001 };
    expect(findRetransmissions([run.packets[0]!, forwarded]).size).toBe(0);
  });

  it('does not flag the same sequence number sent in the opposite direction', () => {
    const reverse = structuredClone(run.packets[0]!);
    [reverse.ip.src, reverse.ip.dst] = [reverse.ip.dst, reverse.ip.src];
    [reverse.tcp!.srcPort, reverse.tcp!.dstPort] = [reverse.tcp!.dstPort, reverse.tcp!.srcPort];
    expect(findRetransmissions([run.packets[0]!, reverse]).size).toBe(0);
  });
});

describe.each([
  [0.000123, '123 µs later'],
  [0.0441, '44.1 ms later'],
  [1.0234, '1.02 s later'],
  [61.2, '61.2 s later'],
])('formatGap(%s)', (seconds, text) => {
  it(`reads "${text}"`, () => expect(formatGap(seconds)).toBe(text));
});

describe('formatTime', () => {
  it('prints microseconds with a leading plus and unit', () => {
    expect(formatTime(0.000123)).toBe('+0.000123 s');
    expect(formatTime(1.5)).toBe('+1.500000 s');
  });
});
