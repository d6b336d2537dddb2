import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HostInfo, LabEvent, LabRun, Packet } from '../../labs/_lib/types.ts';
import {
  ladderAnnotations,
  monitorLane,
  notesFor,
} from '../../src/components/ladder/annotations.ts';
import {
  defaultLadderOptions,
  layoutLadder,
  type LadderArrow,
} from '../../src/components/ladder/layout.ts';
import { capture, client, server, tcp, twoHosts } from './ladder-fixtures.ts';

/** A synthetic run: only what annotations read. */
function runOf(
  id: string,
  packets: Packet[],
  extra: { hosts?: HostInfo[]; events?: LabEvent[]; facts?: Record<string, unknown> } = {},
): LabRun {
  return {
    id,
    verifies: 'SYNTHETIC unit-test run',
    recordedAt: '2000-01-01T00:00:00.000Z',
    kernel: { release: '0.0.0-synthetic', version: '#0', machine: 'x86_64' },
    privilege: 'userns',
    sysctls: {},
    wallMs: 0,
    inherentWaitS: 0,
    hosts: extra.hosts ?? twoHosts,
    packets,
    events: extra.events ?? [],
    facts: extra.facts ?? {},
  };
}

const C: [string, number] = [client, 47040];
const S: [string, number] = [server, 5100];
const handshake = [tcp(0, C, S, 'S'), tcp(0.00002, S, C, 'S.'), tcp(0.00004, C, S, '.')];

/** Two requests of a 200-byte header and a 100-byte body; the second waits for a delayed ACK. */
const nagleRun = runOf(
  'socket-options/nagle-delayed-ack',
  capture([
    ...handshake,
    tcp(0.0003, C, S, 'P.', { relSeq: 1, length: 200 }), // 4: header, acked at once
    tcp(0.000308, S, C, '.', { relAck: 201 }),
    tcp(0.000319, C, S, 'P.', { relSeq: 201, length: 100 }), // 6: body
    tcp(0.01, C, S, 'P.', { relSeq: 301, length: 200 }), // 7: header
    tcp(0.0528, S, C, '.', { relAck: 501 }), // 8: delayed ACK
    tcp(0.05283, C, S, 'P.', { relSeq: 501, length: 100 }), // 9: body, held
  ]),
);

describe('notes', () => {
  it('shows the delayed ACK and the body Nagle held back, computed from the packets', () => {
    expect(notesFor(nagleRun)).toEqual([
      { frame: 8, from: 7, text: 'delayed ACK: 42.8 ms after the header' },
      { frame: 9, text: 'body held by Nagle until that ACK (+42.8 ms)' },
    ]);
  });

  it('says nothing when no ACK was late', () => {
    const quick = runOf(nagleRun.id, nagleRun.packets.slice(0, 6));
    expect(notesFor(quick)).toEqual([]);
  });

  it('marks the first SYN nothing answered, with the reason the run records', () => {
    const packets = capture([
      ...handshake,
      tcp(0.0001, [client, 47050], S, 'S', { seq: 77 }), // 4: never answered
      tcp(1.02, [client, 47050], S, 'S', { seq: 77 }), // 5: its retransmission
    ]);
    const overflow = runOf('handshakes/accept-queue-overflow', packets, {
      facts: { listenRecvQ: 2 },
      events: [{ t: 0, host: 'server', event: 'listening', backlog: 1 }],
    });
    expect(notesFor(overflow)).toEqual([
      { frame: 4, text: 'SYN dropped: accept queue full (2 queued, backlog 1)' },
    ]);
    const blackhole = runOf('reachability/blackhole-syn-timeout', capture(packets.slice(3)));
    expect(notesFor(blackhole)).toEqual([
      { frame: 1, text: 'SYN dropped: no SYN-ACK, no ICMP, nothing came back' },
    ]);
  });

  it('marks where each side’s 64-byte ZMTP greeting ends, with the segments that carried it', () => {
    const zmq = runOf(
      'zeromq/connect-accept',
      capture([
        ...handshake,
        tcp(0.0001, C, S, 'P.', { relSeq: 1, length: 10 }),
        tcp(0.0002, S, C, 'P.', { relSeq: 1, length: 11 }),
        tcp(0.0003, C, S, 'P.', { relSeq: 11, length: 54 }), // 6: client's bytes 11–64
        tcp(0.0004, S, C, 'P.', { relSeq: 12, length: 96 }), // 7: server's 12–107, READY included
      ]),
    );
    expect(notesFor(zmq)).toEqual([
      { frame: 6, from: 4, text: "client's ZMTP greeting: 64 bytes (10 + 54)" },
      { frame: 7, from: 5, text: "server's ZMTP greeting: first 64 of 107 bytes (11 + 96)" },
    ]);
  });

  it('has no notes for labs without an annotator', () => {
    expect(notesFor(runOf('handshakes/three-way-handshake', capture(handshake)))).toEqual([]);
  });

  it('finds a note in every committed recording it annotates', () => {
    for (const id of Object.keys(ladderAnnotations)) {
      const [chapter, lab] = id.split('/');
      const file = new URL(`../../labs/${chapter}/recorded/${lab}.json`, import.meta.url);
      if (!existsSync(file)) continue;
      const run: LabRun = JSON.parse(readFileSync(file, 'utf8'));
      const notes = notesFor(run);
      expect(notes.length, id).toBeGreaterThanOrEqual(1);
      for (const n of notes) {
        expect(n.frame, id).toBeGreaterThanOrEqual(1);
        expect(n.frame, id).toBeLessThanOrEqual(run.packets.length);
        expect(n.text.length, `${id}: keep notes short`).toBeLessThanOrEqual(60);
      }
    }
  });
});

describe('note placement', () => {
  const notes = notesFor(nagleRun);
  const plain = layoutLadder(nagleRun.hosts, nagleRun.packets);
  const noted = layoutLadder(nagleRun.hosts, nagleRun.packets, {}, { notes });
  const arrow = (l: typeof plain, frame: number) =>
    l.rows.find((r): r is LadderArrow => r.kind === 'packet' && r.frame === frame)!;

  it('puts the note under its packet’s detail line', () => {
    const [ack] = noted.notes;
    expect(ack!.frame).toBe(8);
    expect(ack!.y).toBeGreaterThan(arrow(noted, 8).y + 16);
    expect(ack!.y).toBeLessThan(arrow(noted, 9).y - 7);
    expect(arrow(noted, 8).note).toBe('delayed ACK: 42.8 ms after the header');
  });

  it('draws a bracket in the left gutter from the first packet of the span to the noted one', () => {
    const { bracket } = noted.notes[0]!;
    expect(bracket!.y1).toBeLessThan(arrow(noted, 7).y);
    expect(bracket!.y2).toBeGreaterThan(arrow(noted, 8).y);
    expect(bracket!.x).toBeLessThan(noted.columns[0]!.x);
    expect(bracket!.x).toBeGreaterThan(defaultLadderOptions.timeWidth - 10);
  });

  it('makes room for each note, and only there', () => {
    const extra = defaultLadderOptions.noteHeight;
    expect(noted.height - plain.height).toBe(2 * extra);
    expect(arrow(noted, 7).y).toBe(arrow(plain, 7).y);
    expect(arrow(noted, 9).y - arrow(plain, 9).y).toBe(extra);
  });

  it('lists notes in the table too', () => {
    expect(noted.table.find((r) => r.frames === '9')!.note).toBe(
      'body held by Nagle until that ACK (+42.8 ms)',
    );
  });
});

describe('ZeroMQ monitor lane', () => {
  // A refused connect, then a connection with a greeting. The monitor's clock is offset and late
  // by different amounts, as a probe reading its monitor socket between other work would be.
  const zc: [string, number] = [client, 43518];
  const zc2: [string, number] = [client, 43530];
  const zs: [string, number] = [server, 5555];
  const packets = capture([
    tcp(0, zc, zs, 'S'), // 1
    tcp(0.00002, zs, zc, 'R.'), // 2
    tcp(0.1, zc2, zs, 'S'), // 3
    tcp(0.10002, zs, zc2, 'S.'), // 4
    tcp(0.10004, zc2, zs, '.'), // 5
    tcp(0.1001, zc2, zs, 'P.', { relSeq: 1, length: 64 }), // 6
    tcp(0.1002, zs, zc2, 'P.', { relSeq: 1, length: 64 }), // 7
    tcp(0.1003, zc2, zs, 'P.', { relSeq: 65, length: 43 }), // 8: client's READY: server done
    tcp(0.1004, zs, zc2, 'P.', { relSeq: 65, length: 43 }), // 9: server's READY: client done
  ]);
  const ev = (t: number, host: string, event: string, zmq: string, more = {}): LabEvent => ({
    t,
    host,
    event,
    zmq: `ZMQ_EVENT_${zmq}`,
    ...more,
  });
  const run = runOf('zeromq/synthetic', packets, {
    events: [
      ev(5.0, 'server', 'zmq:bind', 'LISTENING'),
      ev(5.3, 'client', 'zmq:connect:delay', 'CONNECT_DELAYED'),
      ev(5.301, 'client', 'zmq:close', 'CLOSED'),
      ev(5.302, 'client', 'zmq:connect:retry', 'CONNECT_RETRIED', { interval: 100 }),
      ev(5.45, 'client', 'zmq:connect:delay', 'CONNECT_DELAYED'),
      ev(5.451, 'client', 'zmq:connect', 'CONNECTED'),
      ev(5.2, 'server', 'zmq:accept', 'ACCEPTED'),
      ev(5.201, 'server', 'zmq:handshake', 'HANDSHAKE_SUCCEEDED'),
      ev(5.46, 'client', 'zmq:handshake', 'HANDSHAKE_SUCCEEDED'),
      ev(5.0, 'elsewhere', 'zmq:bind', 'LISTENING'),
    ],
  });
  const lane = monitorLane(run)!;

  it('places each event beside the packet that caused it, not by the monitor’s clock', () => {
    expect(lane.events).toEqual([
      { t: -Infinity, text: 'server: LISTENING' },
      { t: packets[4]!.t, text: 'server: ACCEPTED' },
      { t: packets[7]!.t, text: 'server: HANDSHAKE_SUCCEEDED' },
      { t: packets[0]!.t, text: 'client: CONNECT_DELAYED' },
      { t: packets[1]!.t, text: 'client: CLOSED' },
      { t: packets[1]!.t, text: 'client: CONNECT_RETRIED 100 ms' },
      { t: packets[2]!.t, text: 'client: CONNECT_DELAYED' },
      { t: packets[3]!.t, text: 'client: CONNECTED' },
      { t: packets[8]!.t, text: 'client: HANDSHAKE_SUCCEEDED' },
    ]);
    expect(lane.subtitle).toBe('server, client');
  });

  it('draws the lane right of the last lifeline, each event on its cause’s row', () => {
    const l = layoutLadder(run.hosts, run.packets, {}, { lane });
    const row = (frame: number) =>
      l.rows.find((r): r is LadderArrow => r.kind === 'packet' && r.frame === frame)!.y;
    expect(l.lane!.x).toBeGreaterThan(l.columns.at(-1)!.x);
    expect(l.width).toBeGreaterThan(l.lane!.x);
    expect(l.lane!.items.map((it) => [it.y + 8, it.lines])).toEqual([
      [row(1), ['server: LISTENING', 'client: CONNECT_DELAYED']],
      [row(2), ['client: CLOSED', 'client: CONNECT_RETRIED 100 ms']],
      [row(3), ['client: CONNECT_DELAYED']],
      [row(4), ['client: CONNECTED']],
      [row(5), ['server: ACCEPTED']],
      [row(8), ['server: HANDSHAKE_SUCCEEDED']],
      [row(9), ['client: HANDSHAKE_SUCCEEDED']],
    ]);
  });

  it('counts events by name where more share a row than fit', () => {
    const many = runOf(
      'zeromq/synthetic',
      capture([tcp(0, zc, zs, 'S'), tcp(0.00002, zs, zc, 'R.')]),
      {
        hosts: twoHosts,
        events: Array.from({ length: 4 }, (_, i) => [
          ev(i, 'client', 'zmq:close', 'CLOSED'),
          ev(i, 'client', 'zmq:connect:retry', 'CONNECT_RETRIED', { interval: 10 + i }),
        ]).flat(),
      },
    );
    const l = layoutLadder(many.hosts, many.packets, {}, { lane: monitorLane(many) });
    expect(l.lane!.items.at(-1)!.lines).toEqual(['CLOSED ×4', 'CONNECT_RETRIED 10–13 ms ×4']);
  });

  it('draws no lane without monitor events', () => {
    expect(monitorLane(nagleRun)).toBeUndefined();
  });
});
