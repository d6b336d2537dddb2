import { describe, expect, it } from 'vitest';
import { decodePcap, formatPacket } from '../../labs/_lib/pcap.ts';

/** A classic pcap (LINKTYPE_RAW IPv4) holding the given IP packets, timestamps 1 ms apart. */
function pcapOf(packets: Buffer[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(228, 20);
  const records = packets.map((p, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1, 0);
    r.writeUInt32LE(i * 1000, 4);
    r.writeUInt32LE(p.length, 8);
    r.writeUInt32LE(p.length, 12);
    return Buffer.concat([r, p]);
  });
  return Buffer.concat([header, ...records]);
}

/** IPv4 header with the Router Alert option (24 bytes), protocol 2, TTL 1, then the IGMP bytes. */
function igmpPacket(src: number[], dst: number[], igmp: number[]): Buffer {
  const ip = [
    0x46,
    0xc0,
    0,
    24 + igmp.length,
    0,
    0,
    0x40,
    0,
    1,
    2,
    0,
    0,
    ...src,
    ...dst,
    0x94,
    0x04,
    0,
    0,
  ];
  return Buffer.from([...ip, ...igmp]);
}

describe('IGMP decoding', () => {
  it('decodes an IGMPv3 report with its group records', () => {
    const report = [
      0x22,
      0,
      0,
      0,
      0,
      0,
      0,
      2,
      4,
      0,
      0,
      0,
      239,
      1,
      2,
      3, // CHANGE_TO_EXCLUDE 239.1.2.3, no sources
      1,
      0,
      0,
      1,
      239,
      1,
      2,
      4,
      198,
      51,
      100,
      9,
    ]; // MODE_IS_INCLUDE 239.1.2.4 from 198.51.100.9
    const [p] = decodePcap(pcapOf([igmpPacket([198, 51, 100, 2], [224, 0, 0, 22], report)]));
    expect(p.ip).toMatchObject({ protocol: 2, ttl: 1, dst: '224.0.0.22' });
    expect(p.igmp).toEqual({
      type: 0x22,
      version: 3,
      kind: 'report',
      records: [
        { type: 4, mode: 'to_ex', group: '239.1.2.3', sources: [] },
        { type: 1, mode: 'is_in', group: '239.1.2.4', sources: ['198.51.100.9'] },
      ],
    });
    expect(formatPacket(p)).toBe(
      '0.000000 198.51.100.2 > 224.0.0.22: igmp v3 report, 2 group record(s) [gaddr 239.1.2.3 to_ex, 0 source(s)] [gaddr 239.1.2.4 is_in, 1 source(s)], ttl 1',
    );
  });

  it.each([
    [
      [0x16, 0, 0, 0, 239, 1, 2, 3],
      { type: 0x16, version: 2, kind: 'report', group: '239.1.2.3' },
      'igmp v2 report 239.1.2.3',
    ],
    [
      [0x17, 0, 0, 0, 239, 1, 2, 3],
      { type: 0x17, version: 2, kind: 'leave', group: '239.1.2.3' },
      'igmp leave 239.1.2.3',
    ],
    [
      [0x12, 0, 0, 0, 239, 1, 2, 3],
      { type: 0x12, version: 1, kind: 'report', group: '239.1.2.3' },
      'igmp v1 report 239.1.2.3',
    ],
    [
      [0x11, 100, 0, 0, 0, 0, 0, 0],
      { type: 0x11, version: 2, kind: 'query', group: '0.0.0.0' },
      'igmp query v2',
    ],
    [
      [0x11, 100, 0, 0, 0, 0, 0, 0, 2, 125, 0, 0],
      { type: 0x11, version: 3, kind: 'query', group: '0.0.0.0' },
      'igmp query v3',
    ],
  ])('decodes type %#', (igmp, decoded, text) => {
    const [p] = decodePcap(pcapOf([igmpPacket([198, 51, 100, 2], [224, 0, 0, 1], igmp)]));
    expect(p.igmp).toEqual(decoded);
    expect(formatPacket(p)).toContain(`: ${text}, ttl 1`);
  });

  it('stops at a truncated record instead of reading past the capture', () => {
    const report = [0x22, 0, 0, 0, 0, 0, 0, 3, 4, 0, 0, 0, 239, 1, 2, 3];
    const [p] = decodePcap(pcapOf([igmpPacket([198, 51, 100, 2], [224, 0, 0, 22], report)]));
    expect(p.igmp?.records).toEqual([{ type: 4, mode: 'to_ex', group: '239.1.2.3', sources: [] }]);
  });
});
