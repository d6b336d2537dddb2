import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { decodePcap, formatPacket } from '../../labs/_lib/pcap.ts';
import type { Packet } from '../../labs/_lib/types.ts';

// Fixtures were captured by labs/probes/capture.c in throwaway namespaces:
// see test/fixtures/pcap/regenerate.sh (regenerating changes ISNs, ids and timestamps below).
const fixture = (name: string): Packet[] =>
  decodePcap(readFileSync(new URL(`../fixtures/pcap/${name}`, import.meta.url)));

describe('capture fixtures', () => {
  it('TCP handshake, data and close on veth', () => {
    const ps = fixture('tcp-veth.pcap');
    // The two ARP frames of the capture are not IP and are skipped.
    expect(ps.map((p) => p.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ps.map((p) => p.tcp?.flags)).toEqual([
      'S',
      'S.',
      '.',
      'P.',
      '.',
      'P.',
      '.',
      'F.',
      'F.',
      '.',
    ]);
    expect(ps.map((p) => p.dir)).toEqual([
      'out',
      'in',
      'out',
      'out',
      'in',
      'in',
      'out',
      'out',
      'in',
      'out',
    ]);
    expect(ps[0].t).toBe(0);
    expect(ps.every((p, i) => i === 0 || p.t >= ps[i - 1].t)).toBe(true);

    const [syn, synAck] = ps;
    expect(syn.ip).toMatchObject({
      version: 4,
      src: '198.51.100.1',
      dst: '198.51.100.2',
      length: 60,
      ttl: 64,
      df: true,
      mf: false,
      fragOffset: 0,
      protocol: 6,
    });
    expect(syn.tcp).toMatchObject({
      srcPort: 40000,
      dstPort: 5000,
      syn: true,
      ack: false,
      seq: 1269156652,
      relSeq: 0,
      window: 64240,
      payloadLength: 0,
    });
    expect(syn.tcp?.relAck).toBeUndefined();
    expect(syn.tcp?.options).toEqual({
      mss: 1460,
      sackPermitted: true,
      timestamp: { val: 1883496812, ecr: 0 },
      wscale: 10,
      order: ['mss', 'sackOK', 'TS', 'nop', 'wscale'],
    });
    expect(synAck.tcp).toMatchObject({
      seq: 3891468751,
      ackNum: 1269156653,
      relSeq: 0,
      relAck: 1,
      window: 65160,
    });
    expect(synAck.tcp?.options.timestamp).toEqual({ val: 1231608901, ecr: 1883496812 });

    expect(ps[2].tcp?.options.order).toEqual(['nop', 'nop', 'TS']);
    expect(ps.map((p) => [p.tcp?.relSeq, p.tcp?.relAck, p.tcp?.payloadLength])).toEqual([
      [0, undefined, 0],
      [0, 1, 0],
      [1, 1, 0],
      [1, 1, 6],
      [1, 7, 0],
      [1, 7, 6],
      [7, 7, 0],
      [7, 7, 0],
      [7, 8, 0],
      [8, 8, 0],
    ]);
    expect(formatPacket(syn)).toBe(
      '0.000000 198.51.100.1.40000 > 198.51.100.2.5000: Flags [S], seq 0, win 64240, options [mss 1460,sackOK,TS val 1883496812 ecr 0,nop,wscale 10], length 0',
    );
    expect(formatPacket(ps[3])).toBe(
      '0.000194 198.51.100.1.40000 > 198.51.100.2.5000: Flags [P.], seq 1:7, ack 1, win 63, options [nop,nop,TS val 1883496812 ecr 1231608901], length 6',
    );
    expect(formatPacket(ps[4])).toMatch(
      /: Flags \[\.\], ack 7, win 64, options \[nop,nop,TS val \d+ ecr \d+\], length 0$/,
    );
    expect(formatPacket(ps[8])).toMatch(
      /^0\.001727 198\.51\.100\.2\.5000 > 198\.51\.100\.1\.40000: Flags \[F\.\], seq 7, ack 8, win 64,/,
    );
  });

  it('TCP on loopback: every packet exactly once', () => {
    const ps = fixture('tcp-lo.pcap');
    expect(ps.map((p) => p.tcp?.flags)).toEqual([
      'S',
      'S.',
      '.',
      'P.',
      '.',
      'P.',
      '.',
      'F.',
      'F.',
      '.',
    ]);
    // Loopback shows each packet leaving and arriving; the probe keeps only the arrival.
    expect(
      new Set(ps.map((p) => `${p.tcp?.srcPort}/${p.ip.id}/${p.tcp?.seq}/${p.tcp?.ackNum}`)).size,
    ).toBe(10);
    expect(
      ps.every((p) => p.dir === 'in' && p.ip.src === '127.0.0.1' && p.ip.dst === '127.0.0.1'),
    ).toBe(true);
    expect(ps[0].tcp?.options.mss).toBe(65495);
    expect(ps[1].tcp).toMatchObject({ srcPort: 5000, window: 65483, relSeq: 0, relAck: 1 });
    expect(ps.map((p) => p.tcp?.payloadLength)).toEqual([0, 0, 0, 6, 0, 6, 0, 0, 0, 0]);
    expect(ps[9].tcp).toMatchObject({ relSeq: 8, relAck: 8, flags: '.' });
  });

  it('a 4000-byte UDP datagram over MTU 1500 is three fragments', () => {
    const ps = fixture('udp-frag.pcap');
    expect(ps).toHaveLength(3);
    expect(ps.map((p) => p.ip.fragOffset)).toEqual([0, 185, 370]);
    expect(ps.map((p) => p.ip.mf)).toEqual([true, true, false]);
    expect(ps.map((p) => p.ip.df)).toEqual([false, false, false]);
    expect(ps.map((p) => p.ip.length)).toEqual([1500, 1500, 1068]);
    expect(new Set(ps.map((p) => p.ip.id)).size).toBe(1);
    expect(ps.every((p) => p.ip.protocol === 17 && p.dir === 'out')).toBe(true);
    expect(ps[0].udp).toEqual({ srcPort: 40001, dstPort: 5001, length: 4008, payloadLength: 4000 });
    expect(ps[1].udp).toBeUndefined();
    expect(ps[2].udp).toBeUndefined();
    expect(ps[2].tcp).toBeUndefined();
    const id = ps[0].ip.id;
    expect(formatPacket(ps[0])).toBe(
      `0.000000 198.51.100.1.40001 > 198.51.100.2.5001: UDP, length 4000, frag id ${id}, offset 0, flags [+]`,
    );
    expect(formatPacket(ps[2])).toBe(
      `0.000037 198.51.100.1 > 198.51.100.2: frag id ${id}, offset 2960, flags [none], ip-proto-17, length 1048`,
    );
  });

  it('a refused connect is answered by RST/ACK', () => {
    const ps = fixture('tcp-refused.pcap');
    expect(ps.map((p) => p.tcp?.flags)).toEqual(['S', 'R.']);
    expect(ps[1].dir).toBe('in');
    expect(ps[1].tcp).toMatchObject({
      rst: true,
      ack: true,
      syn: false,
      seq: 0,
      relSeq: 0,
      relAck: 1,
      window: 0,
      payloadLength: 0,
    });
    expect(ps[1].tcp?.options).toEqual({ order: [] });
    expect(formatPacket(ps[1])).toBe(
      '0.000040 198.51.100.2.5002 > 198.51.100.1.40002: Flags [R.], seq 0, ack 1, win 0, length 0',
    );
  });

  it('ICMP port unreachable and fragmentation needed', () => {
    const ps = fixture('icmp.pcap');
    expect(ps).toHaveLength(4);
    expect(ps[0].udp).toEqual({ srcPort: 40003, dstPort: 5003, length: 12, payloadLength: 4 });
    expect(ps[1].ip).toMatchObject({ src: '198.51.100.2', dst: '198.51.100.1', protocol: 1 });
    expect(ps[1].icmp).toEqual({ type: 3, code: 3, description: 'port unreachable' });
    expect(ps[2].ip).toMatchObject({ df: true, length: 1428 });
    expect(ps[3].icmp).toEqual({
      type: 3,
      code: 4,
      description: 'fragmentation needed',
      mtu: 1280,
    });
    expect(formatPacket(ps[1])).toBe(
      '0.000372 198.51.100.2 > 198.51.100.1: ICMP port unreachable, length 40',
    );
    expect(formatPacket(ps[3])).toBe(
      '0.100975 198.51.100.126 > 198.51.100.125: ICMP fragmentation needed (mtu 1280), length 556',
    );
  });

  it('IPv6 fragments and ICMPv6 port unreachable on loopback', () => {
    const ps = fixture('udp6-lo.pcap');
    expect(ps).toHaveLength(5);
    const frags = ps.slice(0, 3);
    expect(frags.map((p) => p.ip.fragOffset)).toEqual([0, 154, 308]);
    expect(frags.map((p) => p.ip.mf)).toEqual([true, true, false]);
    expect(frags.map((p) => p.ip.length)).toEqual([1280, 1280, 592]);
    expect(
      frags.every(
        (p) => p.ip.version === 6 && p.ip.protocol === 17 && p.ip.ttl === 64 && p.ip.src === '::1',
      ),
    ).toBe(true);
    expect(new Set(frags.map((p) => p.ip.id)).size).toBe(1);
    expect(frags[0].ip.id).toBe(0x63c6108d);
    expect(frags[0].udp).toEqual({
      srcPort: 40005,
      dstPort: 5005,
      length: 3008,
      payloadLength: 3000,
    });
    expect(frags[1].udp).toBeUndefined();
    expect(ps[3].ip.id).toBeUndefined();
    expect(ps[4].ip.protocol).toBe(58);
    expect(ps[4].icmp).toEqual({ type: 1, code: 4, description: 'port unreachable' });
    expect(formatPacket(frags[1])).toBe(
      '0.000014 ::1 > ::1: frag id 1673924749, offset 1232, flags [+], ip-proto-17, length 1232',
    );
    expect(formatPacket(ps[4])).toBe('0.000222 ::1 > ::1: ICMP6 port unreachable, length 60');
  });
});

// ---- synthetic buffers -------------------------------------------------------------------------

const ipv4 = (o: {
  src: number[];
  dst: number[];
  proto: number;
  payload: Buffer;
  id?: number;
  flags?: number;
  ttl?: number;
}): Buffer => {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + o.payload.length, 2);
  h.writeUInt16BE(o.id ?? 1, 4);
  h.writeUInt16BE(o.flags ?? 0x4000, 6);
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  Buffer.from(o.src).copy(h, 12);
  Buffer.from(o.dst).copy(h, 16);
  return Buffer.concat([h, o.payload]);
};

const tcp = (o: {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  win?: number;
  opts?: number[];
  data?: number;
}): Buffer => {
  const opts = Buffer.from(o.opts ?? []);
  const h = Buffer.alloc(20);
  h.writeUInt16BE(o.sport, 0);
  h.writeUInt16BE(o.dport, 2);
  h.writeUInt32BE(o.seq >>> 0, 4);
  h.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  h[12] = ((20 + opts.length) / 4) << 4;
  h[13] = o.flags;
  h.writeUInt16BE(o.win ?? 1000, 14);
  return Buffer.concat([h, opts, Buffer.alloc(o.data ?? 0, 0x61)]);
};

const A = [198, 51, 100, 1];
const B = [198, 51, 100, 2];
const SYN = 0x02,
  ACK = 0x10,
  FIN = 0x01,
  PSH = 0x08,
  RST = 0x04,
  URG = 0x20,
  ECE = 0x40,
  CWR = 0x80;

/** A pcap file; records are [seconds, fraction (µs or ns), frame]. */
const pcap = (
  linktype: number,
  records: Array<[number, number, Buffer]>,
  o: { be?: boolean; nano?: boolean } = {},
): Buffer => {
  const w32 = (b: Buffer, v: number, off: number) =>
    o.be ? b.writeUInt32BE(v, off) : b.writeUInt32LE(v, off);
  const w16 = (b: Buffer, v: number, off: number) =>
    o.be ? b.writeUInt16BE(v, off) : b.writeUInt16LE(v, off);
  const g = Buffer.alloc(24);
  w32(g, o.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(g, 2, 4);
  w16(g, 4, 6);
  w32(g, 262144, 16);
  w32(g, linktype, 20);
  const parts: Buffer[] = [g];
  for (const [sec, frac, frame] of records) {
    const r = Buffer.alloc(16);
    w32(r, sec, 0);
    w32(r, frac, 4);
    w32(r, frame.length, 8);
    w32(r, frame.length, 12);
    parts.push(r, frame);
  }
  return Buffer.concat(parts);
};

const sll = (pkttype: number, ethertype: number, frame: Buffer): Buffer => {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(pkttype, 0);
  h.writeUInt16BE(1, 2);
  h.writeUInt16BE(6, 4);
  h.writeUInt16BE(ethertype, 14);
  return Buffer.concat([h, frame]);
};

describe('pcap header variants', () => {
  const syn = ipv4({
    src: A,
    dst: B,
    proto: 6,
    payload: tcp({ sport: 1, dport: 2, seq: 100, flags: SYN }),
  });
  const ack = ipv4({
    src: A,
    dst: B,
    proto: 6,
    payload: tcp({ sport: 1, dport: 2, seq: 101, ack: 5, flags: ACK }),
  });
  const cases: Array<[string, { be?: boolean; nano?: boolean }, number]> = [
    ['micro little-endian', {}, 250_001],
    ['micro big-endian', { be: true }, 250_001],
    ['nano little-endian', { nano: true }, 250_001_000],
    ['nano big-endian', { be: true, nano: true }, 250_001_000],
  ];
  for (const [name, o, frac] of cases) {
    it(name, () => {
      const ps = decodePcap(
        pcap(
          101,
          [
            [1000, 0, syn],
            [1001, frac, ack],
          ],
          o,
        ),
      );
      expect(ps).toHaveLength(2);
      expect(ps[1].t).toBe(1.250001);
      expect(ps[0].ip.src).toBe('198.51.100.1');
      expect(ps[0].tcp?.flags).toBe('S');
      expect(ps[1].tcp).toMatchObject({ flags: '.', relSeq: 1 });
      expect(ps[0].dir).toBeUndefined();
    });
  }

  it('rejects pcapng and garbage', () => {
    const ng = Buffer.alloc(32);
    ng.writeUInt32LE(0x0a0d0d0a, 0);
    expect(() => decodePcap(ng)).toThrow(/pcapng/);
    expect(() => decodePcap(Buffer.alloc(24, 7))).toThrow(/magic/);
    expect(() => decodePcap(Buffer.alloc(3))).toThrow(/short/);
  });

  it('ignores a truncated last record', () => {
    const full = pcap(101, [
      [1, 0, syn],
      [2, 0, ack],
    ]);
    expect(decodePcap(full.subarray(0, full.length - 5))).toHaveLength(1);
  });
});

describe('link types', () => {
  it('Ethernet: padding does not count as payload; ARP is skipped', () => {
    const eth = (type: number, body: Buffer) => {
      const h = Buffer.alloc(14);
      h.writeUInt16BE(type, 12);
      return Buffer.concat([h, body]);
    };
    const ackPkt = ipv4({
      src: A,
      dst: B,
      proto: 6,
      payload: tcp({ sport: 1, dport: 2, seq: 1, ack: 1, flags: ACK }),
    });
    const padded = Buffer.concat([ackPkt, Buffer.alloc(6)]); // 40-byte IP packet padded to the 60-byte minimum frame
    const ps = decodePcap(
      pcap(1, [
        [0, 0, eth(0x0806, Buffer.alloc(28))],
        [0, 10, eth(0x0800, padded)],
      ]),
      { iface: 'eth0' },
    );
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatchObject({ n: 0, t: 0, iface: 'eth0' });
    expect(ps[0].tcp?.payloadLength).toBe(0);
  });

  it('SLL: pkttype gives the direction', () => {
    const f = ipv4({
      src: A,
      dst: B,
      proto: 17,
      payload: Buffer.from([0, 1, 0, 2, 0, 9, 0, 0, 42]),
    });
    const ps = decodePcap(
      pcap(113, [
        [0, 0, sll(4, 0x0800, f)],
        [0, 1, sll(0, 0x0800, f)],
        [0, 2, sll(1, 0x0800, f)],
      ]),
    );
    expect(ps.map((p) => p.dir)).toEqual(['out', 'in', 'in']);
    expect(ps[0].udp).toEqual({ srcPort: 1, dstPort: 2, length: 9, payloadLength: 1 });
    expect(ps[0].iface).toBeUndefined();
  });

  it('SLL2: ifindex maps to a name', () => {
    const f = ipv4({ src: A, dst: B, proto: 17, payload: Buffer.from([0, 1, 0, 2, 0, 8, 0, 0]) });
    const sll2 = (ifindex: number, pkttype: number) => {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(0x0800, 0);
      h.writeUInt32BE(ifindex, 4);
      h.writeUInt16BE(1, 8);
      h[10] = pkttype;
      h[11] = 6;
      return Buffer.concat([h, f]);
    };
    const ps = decodePcap(
      pcap(276, [
        [0, 0, sll2(2, 4)],
        [0, 1, sll2(1, 0)],
      ]),
      { ifnames: { 1: 'lo', 2: 'veth0' } },
    );
    expect(ps.map((p) => [p.iface, p.dir])).toEqual([
      ['veth0', 'out'],
      ['lo', 'in'],
    ]);
  });
});

describe('TCP decoding', () => {
  const raw = (...frames: Buffer[]) =>
    decodePcap(
      pcap(
        101,
        frames.map((f, i) => [0, i, f] as [number, number, Buffer]),
      ),
    );
  const seg = (from: number[], to: number[], o: Parameters<typeof tcp>[0]) =>
    ipv4({ src: from, dst: to, proto: 6, payload: tcp(o) });

  it('flag strings in tcpdump order', () => {
    const combos: Array<[number, string]> = [
      [SYN, 'S'],
      [SYN | ACK, 'S.'],
      [ACK, '.'],
      [PSH | ACK, 'P.'],
      [FIN | ACK, 'F.'],
      [RST, 'R'],
      [RST | ACK, 'R.'],
      [FIN | PSH | ACK, 'FP.'],
      [SYN | ECE | CWR, 'SEW'],
      [SYN | ACK | ECE, 'S.E'],
      [URG | ACK, '.U'],
      [0, 'none'],
    ];
    const ps = raw(
      ...combos.map(([f], i) => seg(A, B, { sport: 1000 + i, dport: 80, seq: 1, flags: f })),
    );
    expect(ps.map((p) => p.tcp?.flags)).toEqual(combos.map(([, s]) => s));
  });

  it('relative numbers wrap around 2^32; SACK blocks are printed relative to the peer ISN', () => {
    const isnA = 0xfffffff0;
    const isnB = 0x7fffffff;
    const ps = raw(
      seg(A, B, {
        sport: 40000,
        dport: 80,
        seq: isnA,
        flags: SYN,
        opts: [2, 4, 0x05, 0xb4, 4, 2, 1, 1, 1, 3, 3, 7],
      }),
      seg(B, A, { sport: 80, dport: 40000, seq: isnB, ack: isnA + 1, flags: SYN | ACK }),
      seg(A, B, {
        sport: 40000,
        dport: 80,
        seq: isnA + 1,
        ack: isnB + 1,
        flags: PSH | ACK,
        data: 100,
      }),
      seg(B, A, {
        sport: 80,
        dport: 40000,
        seq: isnB + 1,
        ack: isnA + 1,
        flags: ACK,
        opts: [1, 1, 5, 10, ...u32(isnA + 51), ...u32(isnA + 101)],
      }),
    );
    expect(ps[0].tcp?.options).toEqual({
      mss: 1460,
      sackPermitted: true,
      wscale: 7,
      order: ['mss', 'sackOK', 'nop', 'nop', 'nop', 'wscale'],
    });
    expect(ps[2].tcp).toMatchObject({
      seq: (isnA + 1) >>> 0,
      relSeq: 1,
      relAck: 1,
      payloadLength: 100,
    });
    expect(ps[3].tcp?.options.sack).toEqual([[(isnA + 51) >>> 0, (isnA + 101) >>> 0]]);
    expect(ps[3].tcp?.options.order).toEqual(['nop', 'nop', 'sack']);
    expect(formatPacket(ps[2])).toBe(
      '0.000002 198.51.100.1.40000 > 198.51.100.2.80: Flags [P.], seq 1:101, ack 1, win 1000, length 100',
    );
    expect(formatPacket(ps[3])).toBe(
      '0.000003 198.51.100.2.80 > 198.51.100.1.40000: Flags [.], ack 1, win 1000, options [nop,nop,sack 1 {51:101}], length 0',
    );
    expect(formatPacket(ps[0])).toBe(
      '0.000000 198.51.100.1.40000 > 198.51.100.2.80: Flags [S], seq 0, win 1000, options [mss 1460,sackOK,nop,nop,nop,wscale 7], length 0',
    );
  });

  it('without a SYN the first segment of each direction sets the base', () => {
    const ps = raw(
      seg(A, B, { sport: 1, dport: 2, seq: 5000, ack: 9000, flags: ACK, data: 10 }),
      seg(B, A, { sport: 2, dport: 1, seq: 9000, ack: 5010, flags: ACK }),
      seg(A, B, { sport: 1, dport: 2, seq: 5010, ack: 9000, flags: ACK }),
    );
    expect(ps[0].tcp?.relSeq).toBe(0);
    expect(ps[0].tcp?.relAck).toBeUndefined();
    expect(ps[1].tcp).toMatchObject({ relSeq: 0, relAck: 10 });
    expect(ps[2].tcp).toMatchObject({ relSeq: 10, relAck: 0 });
  });

  it('a self-connected socket (one direction only) does not confuse the bookkeeping', () => {
    const isn = 123456;
    const ps = raw(
      seg(A, A, { sport: 5555, dport: 5555, seq: isn, flags: SYN }),
      seg(A, A, { sport: 5555, dport: 5555, seq: isn, ack: isn + 1, flags: SYN | ACK }),
      seg(A, A, { sport: 5555, dport: 5555, seq: isn + 1, ack: isn + 1, flags: ACK }),
      seg(A, A, {
        sport: 5555,
        dport: 5555,
        seq: isn + 1,
        ack: isn + 1,
        flags: PSH | ACK,
        data: 3,
      }),
      seg(A, A, { sport: 5555, dport: 5555, seq: isn + 4, ack: isn + 4, flags: ACK }),
    );
    expect(ps.map((p) => [p.tcp?.relSeq, p.tcp?.relAck])).toEqual([
      [0, undefined],
      [0, 1],
      [1, 1],
      [1, 1],
      [4, 4],
    ]);
  });
});

describe('ICMP and IPv6 synthetic', () => {
  const v6 = (next: number, payload: Buffer, hlim = 64): Buffer => {
    const h = Buffer.alloc(40);
    h[0] = 0x60;
    h.writeUInt16BE(payload.length, 4);
    h[6] = next;
    h[7] = hlim;
    Buffer.from('20010db8000000000000000000000001', 'hex').copy(h, 8);
    Buffer.from('fe800000000000000000000000000002', 'hex').copy(h, 24);
    return Buffer.concat([h, payload]);
  };

  it('ICMPv6 packet too big carries the MTU; addresses are RFC 5952', () => {
    const icmp = Buffer.alloc(8 + 48);
    icmp[0] = 2;
    icmp.writeUInt32BE(1280, 4);
    const [p] = decodePcap(pcap(101, [[0, 0, v6(58, icmp, 255)]]));
    expect(p.ip).toMatchObject({
      version: 6,
      src: '2001:db8::1',
      dst: 'fe80::2',
      ttl: 255,
      protocol: 58,
      length: 96,
    });
    expect(p.icmp).toEqual({ type: 2, code: 0, description: 'packet too big', mtu: 1280 });
    expect(formatPacket(p)).toBe(
      '0.000000 2001:db8::1 > fe80::2: ICMP6 packet too big (mtu 1280), length 56',
    );
  });

  it('IPv6 hop-by-hop and fragment headers are walked to the upper protocol', () => {
    const hbh = Buffer.from([44, 0, 5, 2, 0, 0, 1, 0]); // next: fragment, router alert + padding
    const frag = Buffer.alloc(8);
    frag[0] = 6; // next: TCP
    frag.writeUInt16BE((100 << 3) | 1, 2); // offset 100 units, M
    frag.writeUInt32BE(0xdeadbeef, 4);
    const [p] = decodePcap(
      pcap(101, [[0, 0, v6(0, Buffer.concat([hbh, frag, Buffer.alloc(32)]))]]),
    );
    expect(p.ip).toMatchObject({ protocol: 6, id: 0xdeadbeef, mf: true, fragOffset: 100 });
    expect(p.tcp).toBeUndefined();
  });

  it('ICMP descriptions and the frag-needed MTU', () => {
    const icmp = (type: number, code: number, mtu = 0) => {
      const b = Buffer.alloc(36);
      b[0] = type;
      b[1] = code;
      b.writeUInt16BE(mtu, 6);
      return ipv4({ src: B, dst: A, proto: 1, payload: b });
    };
    const ps = decodePcap(
      pcap(101, [
        [0, 0, icmp(3, 4, 1400)],
        [0, 1, icmp(11, 0)],
        [0, 2, icmp(8, 0)],
        [0, 3, icmp(3, 1)],
      ]),
    );
    expect(ps.map((p) => p.icmp?.description)).toEqual([
      'fragmentation needed',
      'time exceeded in-transit',
      'echo request',
      'host unreachable',
    ]);
    expect(ps[0].icmp?.mtu).toBe(1400);
    expect(ps[1].icmp?.mtu).toBeUndefined();
  });
});

function u32(v: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return [...b];
}
