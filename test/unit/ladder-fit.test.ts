import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LabRun } from '../../labs/_lib/types.ts';
import { findRepeats } from '../../src/components/ladder/collapse.ts';
import { assignColumns } from '../../src/components/ladder/columns.ts';
import {
  defaultLadderOptions,
  formatSpan,
  igmpLabel,
  layoutLadder,
  type Ladder,
  type LadderArrow,
  type LadderRun,
} from '../../src/components/ladder/layout.ts';
import { capture, client, igmp, server, tcp, twoHosts, udp } from './ladder-fixtures.ts';

const arrowsOf = (l: Ladder) => l.rows.filter((r): r is LadderArrow => r.kind === 'packet');
const runsOf = (l: Ladder) => l.rows.filter((r): r is LadderRun => r.kind === 'run');
/** One line per row, as a reader would scan the drawing. */
const shape = (l: Ladder) =>
  l.rows.map((r) =>
    r.kind === 'packet' ? `${r.frame} ${r.label}` : r.kind === 'gap' ? `… ${r.text}` : r.text,
  );

/** 200 identical datagrams, 2 µs apart: a receiver-overrun flood. */
const flood = capture(
  Array.from({ length: 200 }, (_, i) => udp(i * 0.000002, [client, 39029], [server, 5403], 200)),
);

/** `n` connections to one listener: SYN, SYN-ACK, ACK, FIN from new client ports. */
function handshakes(n: number, spacing = 0.0001, addr = '127.0.0.1') {
  return capture(
    Array.from({ length: n }, (_, i) => {
      const t = i * spacing;
      const c: [string, number] = [addr, 43000 + 2 * i];
      const s: [string, number] = [addr, 5140];
      return [
        tcp(t, c, s, 'S'),
        tcp(t + 0.000002, s, c, 'S.'),
        tcp(t + 0.000004, c, s, '.'),
        tcp(t + 0.000006, s, c, 'F.'),
      ];
    }).flat(),
  );
}

describe('collapsing repeated runs', () => {
  const ladder = layoutLadder(twoHosts, flood);

  it('draws a flood as its first datagram, one counted row and its last datagram', () => {
    expect(shape(ladder)).toEqual([
      '1 UDP, length 200',
      '× 198 datagrams: UDP, length 200',
      '200 UDP, length 200',
    ]);
    const [run] = runsOf(ladder);
    expect(run).toMatchObject({ reason: 'repeat', frames: [2, 199], count: 198, unit: 1 });
    expect(run!.detail).toBe('39029 → 5403 · 0.00000–0.00040 s');
    expect(run!.t).toEqual([flood[1]!.t, flood[198]!.t]);
  });

  it('spans the band between the columns the run touches', () => {
    const [run] = runsOf(ladder);
    expect([run!.x1, run!.x2]).toEqual(ladder.columns.map((c) => c.x));
  });

  it('keeps every packet in the table: a collapsed run is one row with its count', () => {
    expect(ladder.table.map((r) => [r.frames, r.count])).toEqual([
      ['1', 1],
      ['2–199', 198],
      ['200', 1],
    ]);
    expect(ladder.table[1]!.label).toBe('× 198 datagrams: UDP, length 200');
    expect(ladder.table[1]!.fromTo).toBe('client → server');
    expect(ladder.packetCount).toBe(200);
    expect(ladder.drawnCount).toBe(2);
    expect(ladder.legend).toContain('run');
  });

  it('collapses repeated handshakes by their whole unit, named as connections', () => {
    const l = layoutLadder([{ name: 'host', addrs: [] }], handshakes(30));
    const [run] = runsOf(l);
    expect(run).toMatchObject({ unit: 4, repeats: 28, count: 112, frames: [5, 116] });
    expect(run!.text).toBe('× 28 connections');
    expect(run!.detail).toMatch(/^\[S\] → \[S\.\] → \[\.\] → \[F\.\] · 112 packets · /);
    // The first and last connection stay drawn.
    expect(arrowsOf(l).map((a) => a.frame)).toEqual([1, 2, 3, 4, 117, 118, 119, 120]);
  });

  it('says how far apart the repetitions of a reconnect loop started', () => {
    const loop = capture(
      Array.from({ length: 40 }, (_, i) => [
        tcp(i * 0.015, [client, 40000 + i], [server, 5555], 'S'),
        tcp(i * 0.015 + 0.00001, [server, 5555], [client, 40000 + i], 'R.'),
      ]).flat(),
    );
    const l = layoutLadder(twoHosts, loop);
    const [run] = runsOf(l);
    expect(run!.text).toBe('× 38 connection attempts, every 15 ms');
    // The pauses inside the run are in its text, not gap rows.
    expect(shape(l)).toEqual([
      '1 [S] seq 0, win 512, length 0',
      '2 [R.] seq 1, ack 1, win 512, length 0',
      '… 15 ms later',
      '× 38 connection attempts, every 15 ms',
      '… 15 ms later',
      '79 [S] seq 0, win 512, length 0',
      '80 [R.] seq 1, ack 1, win 512, length 0',
    ]);
  });

  it('leaves a ladder that fits alone, repeats and all', () => {
    const few = flood.slice(0, defaultLadderOptions.collapseAbove);
    expect(runsOf(layoutLadder(twoHosts, few))).toEqual([]);
  });

  it('never collapses a frame a note is about', () => {
    const l = layoutLadder(twoHosts, flood, {}, { notes: [{ frame: 100, text: 'this one' }] });
    expect(arrowsOf(l).map((a) => a.frame)).toEqual([1, 99, 100, 101, 200]);
    expect(runsOf(l).map((r) => r.frames)).toEqual([
      [2, 98],
      [102, 199],
    ]);
  });
});

describe('findRepeats', () => {
  it('prefers the unit that saves the most rows and skips what does not repeat', () => {
    expect(
      findRepeats(['x', 'a', 'b', 'a', 'b', 'a', 'b', 'a', 'b', 'y'], {
        maxUnit: 4,
        minRepeats: 4,
      }),
    ).toEqual([{ start: 1, unit: 2, repeats: 4 }]);
    expect(findRepeats(['a', 'a', 'a', 'a', 'a', 'a'], { maxUnit: 3, minRepeats: 4 })).toEqual([
      { start: 0, unit: 1, repeats: 6 },
    ]);
    expect(findRepeats(['a', 'a', 'a'], { maxUnit: 3, minRepeats: 4 })).toEqual([]);
  });
});

describe('bounds', () => {
  // 120 segments that never repeat (every length differs): nothing to collapse.
  const stream = capture(
    Array.from({ length: 120 }, (_, i) =>
      tcp(i * 0.001, [client, 40000], [server, 80], 'P.', {
        relSeq: 1 + i * 1000,
        length: 100 + i,
      }),
    ),
  );
  const l = layoutLadder(twoHosts, stream, {}, { notes: [{ frame: 60, text: 'the lesson' }] });

  it('draws at most maxRows rows within maxHeight, leaving out the middle', () => {
    expect(l.rows.length).toBeLessThanOrEqual(defaultLadderOptions.maxRows);
    expect(l.height).toBeLessThanOrEqual(defaultLadderOptions.maxHeight);
    const elided = runsOf(l).filter((r) => r.reason === 'elided');
    expect(elided.length).toBeGreaterThanOrEqual(1);
    expect(elided[0]!.text).toMatch(/^⋯ \d+ packets not drawn: frames \d+–\d+ ⋯$/);
    expect(l.legend).toContain('elided');
  });

  it('keeps a noted frame drawn when it leaves out the middle', () => {
    expect(arrowsOf(l).map((a) => a.frame)).toContain(60);
  });

  it('still lists every left-out packet in the table, one row each', () => {
    expect(l.table.map((r) => r.frames)).toEqual(stream.map((_, i) => String(i + 1)));
  });

  it('holds for every committed recording', () => {
    const labs = new URL('../../labs/', import.meta.url);
    for (const chapter of readdirSync(labs)) {
      const dir = new URL(`${chapter}/recorded/`, labs);
      if (!existsSync(dir)) continue;
      const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
      for (const f of files) {
        const run: LabRun = JSON.parse(
          readFileSync(new URL(`${chapter}/recorded/${f}`, labs), 'utf8'),
        );
        const ladder = layoutLadder(run.hosts, run.packets);
        expect(ladder.rows.length, run.id).toBeLessThanOrEqual(defaultLadderOptions.maxRows);
        expect(ladder.height, run.id).toBeLessThanOrEqual(defaultLadderOptions.maxHeight);
        expect(
          ladder.table.reduce((n, r) => n + r.count, 0),
          run.id,
        ).toBe(run.packets.length);
        // Every lifeline is labelled.
        for (const c of ladder.columns) expect(c.name, run.id).not.toBe('');
      }
    }
  });
});

describe('loopback: ports as lifelines', () => {
  const lo = '127.0.0.1';
  const pair = capture([
    tcp(0, [lo, 40000], [lo, 5000], 'S'),
    tcp(0.00001, [lo, 5000], [lo, 40000], 'S.'),
    tcp(0.00002, [lo, 40000], [lo, 5000], '.'),
  ]);

  it('makes each port that talks a column, and no empty host column', () => {
    const l = layoutLadder([{ name: 'host', addrs: [] }], pair);
    expect(l.mode).toBe('ports');
    expect(l.columns.map((c) => [c.name, c.role])).toEqual([
      ['127.0.0.1:40000', 'port'],
      ['127.0.0.1:5000', 'port'],
    ]);
    expect(arrowsOf(l).map((a) => [a.from, a.to, a.self])).toEqual([
      [0, 1, false],
      [1, 0, false],
      [0, 1, false],
    ]);
    // The columns name the ports, so the detail line does not repeat them.
    expect(arrowsOf(l)[0]!.detail).toBe('');
  });

  it('does the same for a host that lists its loopback address', () => {
    const l = layoutLadder([{ name: 'dealer', addrs: [lo] }], pair);
    expect(l.columns.map((c) => c.name)).toEqual(['127.0.0.1:40000', '127.0.0.1:5000']);
  });

  it('gives the clients of a busy port one column with their range and count', () => {
    const l = layoutLadder([{ name: 'host', addrs: [] }], handshakes(6));
    expect(l.columns.map((c) => [c.name, c.addrs])).toEqual([
      ['127.0.0.1:43000–43010', ['6 ports']],
      ['127.0.0.1:5140', []],
    ]);
    // Each arrow still names its own client port.
    expect(arrowsOf(l)[4]!.detail).toBe('43002 → 5140');
  });

  it('keeps host columns when traffic crosses hosts, even with a loopback address among them', () => {
    const mixed = capture([...pair, tcp(0.1, [client, 40001], [server, 80], 'S')]);
    const a = assignColumns(
      [
        { name: 'client', addrs: [client, lo] },
        { name: 'server', addrs: [server] },
      ],
      mixed,
    );
    expect(a.mode).toBe('hosts');
    expect(a.columns.map((c) => c.name)).toEqual(['client', 'server']);
  });
});

describe('multicast', () => {
  const hosts = [
    { name: 'switch', addrs: [] },
    { name: 'sender', addrs: ['198.51.100.1'] },
    { name: 'rx1', addrs: ['198.51.100.2'] },
  ];
  const packets = capture([
    igmp(0, '198.51.100.2', '224.0.0.22', {
      type: 0x22,
      version: 3,
      kind: 'report',
      records: [{ type: 4, mode: 'to_ex', group: '239.1.2.3', sources: [] }],
    }),
    udp(0.001, ['198.51.100.1', 37964], ['239.1.2.3', 5400], 6),
    igmp(0.002, '198.51.100.2', '224.0.0.2', {
      type: 0x17,
      version: 2,
      kind: 'leave',
      group: '239.1.2.3',
    }),
  ]);
  const l = layoutLadder(hosts, packets);

  it('draws real hosts and one labelled column for the groups, between sender and members', () => {
    expect(l.columns.map((c) => [c.name, c.addrs])).toEqual([
      ['sender', ['198.51.100.1']],
      ['multicast', ['224.0.0.22', '239.1.2.3', '224.0.0.2']],
      ['rx1', ['198.51.100.2']],
    ]);
    expect(arrowsOf(l).map((a) => [a.from, a.to])).toEqual([
      [2, 1],
      [0, 1],
      [2, 1],
    ]);
  });

  it('labels IGMP by what it says, and names each arrow’s group', () => {
    expect(arrowsOf(l).map((a) => [a.label, a.detail, a.classes])).toEqual([
      ['IGMPv3 report: join 239.1.2.3', 'to 224.0.0.22 (IGMPv3 routers)', ['igmp']],
      ['UDP, length 6', '37964 → 5400 · to 239.1.2.3', ['udp']],
      ['IGMPv2 leave 239.1.2.3', 'to 224.0.0.2 (all routers)', ['igmp']],
    ]);
    expect(l.legend).toContain('igmp');
  });

  it.each([
    [{ type: 0x11, version: 2, kind: 'query', group: '0.0.0.0' }, 'IGMPv2 query (general)'],
    [{ type: 0x11, version: 3, kind: 'query', group: '239.1.2.3' }, 'IGMPv3 query 239.1.2.3'],
    [{ type: 0x16, version: 2, kind: 'report', group: '239.1.2.3' }, 'IGMPv2 report 239.1.2.3'],
    [
      {
        type: 0x22,
        version: 3,
        kind: 'report',
        records: [
          { type: 3, mode: 'to_in', group: '239.1.2.3', sources: [] },
          { type: 5, mode: 'allow', group: '239.1.2.4', sources: ['198.51.100.9'] },
        ],
      },
      'IGMPv3 report: leave 239.1.2.3, allow 239.1.2.4 {198.51.100.9}',
    ],
  ] as const)('igmpLabel(%o) reads %s', (message, text) => {
    expect(igmpLabel(structuredClone(message) as never)).toBe(text);
  });
});

describe('fitting', () => {
  it('gives each gap between lifelines the room its own labels need, not the widest anywhere', () => {
    // Client and server talk across a router that never sends: the labels span two gaps.
    const hosts = [
      { name: 'client', addrs: [client] },
      { name: 'router', addrs: ['198.51.100.254'] },
      { name: 'server', addrs: ['203.0.113.1'] },
    ];
    const l = layoutLadder(hosts, capture([tcp(0, [client, 40000], ['203.0.113.1', 80], 'S')]));
    const [a, b, c] = l.columns.map((col) => col.x);
    const label = arrowsOf(l)[0]!.label.length * defaultLadderOptions.charWidth;
    expect(c! - a!).toBeGreaterThanOrEqual(label);
    expect(b! - a!).toBeLessThan(label);
  });

  it('puts a loop on the last column, and its label, on the free side', () => {
    const lo = '127.0.0.1';
    const l = layoutLadder(
      [{ name: 'host', addrs: [lo] }],
      capture([
        tcp(0, [lo, 40496], [lo, 40500], 'S'),
        tcp(0.00001, [lo, 40500], [lo, 40496], 'R.'),
        tcp(0.2, [lo, 40500], [lo, 40500], 'S'),
      ]),
    );
    const loop = arrowsOf(l).find((a) => a.self)!;
    expect(loop.side).toBe('left');
    expect(l.width).toBeLessThan(l.columns.at(-1)!.x + 100);
  });
});

describe('formatSpan', () => {
  it('uses as many decimals as the span needs, between 3 and 6', () => {
    expect(formatSpan(0.013, 0.819)).toBe('0.013–0.819 s');
    expect(formatSpan(0.00002, 0.00032)).toBe('0.00002–0.00032 s');
    expect(formatSpan(1, 1)).toBe('1.000000–1.000000 s');
  });
});
