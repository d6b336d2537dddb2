import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { SENDER, streamScenario } from '../_lib/stream.ts';

const PORT = 5300;
const SIZE = 4000;

export default defineLab({
  title: 'A 4000-byte datagram leaves as three fragments',
  verifies:
    'Verify: send() of 4000 bytes on a UDP socket over a 1500-byte link leaves as three fragments with one shared IP id, offsets 0, 185 and 370 (bytes 0, 1480, 2960), MF set on the first two, total lengths 1500, 1500 and 1068; the receiver reassembles them (ReasmReqds 3, ReasmOKs 1) and one recv() returns all 4000 bytes.',
  takeaway:
    "A UDP datagram larger than the link MTU leaves as IP fragments that share one identification, carry offsets in 8-byte units and MF on all but the last; the receiver's IP layer reassembles them, and one recv() returns the whole datagram.",
  probes: ['probes/stream.c'],
  run: async (ctx: LabContext) => {
    const s = await streamScenario(ctx, {
      proto: 'udp',
      port: PORT,
      writes: [SIZE],
      readBuffer: 65536,
    });
    const { sender, receiver } = s;
    const sent = await counters(sender);
    const got = await counters(receiver);
    const frags = s.packets.filter((p) => p.ip.src === SENDER && p.ip.protocol === 17);
    return {
      facts: {
        fragmentCount: frags.length,
        ids: frags.map((p) => p.ip.id),
        distinctIds: new Set(frags.map((p) => p.ip.id)).size,
        offsets: frags.map((p) => p.ip.fragOffset),
        byteOffsets: frags.map((p) => (p.ip.fragOffset ?? 0) * 8),
        lengths: frags.map((p) => p.ip.length),
        mf: frags.map((p) => p.ip.mf),
        df: frags.map((p) => p.ip.df),
        udpHeaderIn: frags.map((p) => p.udp?.length ?? null),
        senderFragOKs: sent.IpFragOKs,
        senderFragCreates: sent.IpFragCreates,
        receiverReasmReqds: got.IpReasmReqds,
        receiverReasmOKs: got.IpReasmOKs,
        reads: s.reads.map((e) => e.copied),
      },
    };
  },
  claims: [
    {
      id: 'count',
      says: 'The datagram (8-byte UDP header + 4000 bytes = 4008 bytes of IP payload) leaves as three fragments.',
      fact: 'fragmentCount',
      expect: { equals: 3 },
    },
    {
      id: 'one-id',
      says: 'All three carry the same IP identification.',
      fact: 'distinctIds',
      expect: { equals: 1 },
    },
    {
      id: 'offsets',
      says: 'The fragment offsets are 0, 185 and 370, in units of 8 bytes.',
      fact: 'offsets',
      expect: { equals: [0, 185, 370] },
    },
    {
      id: 'byte-offsets',
      says: '…which are bytes 0, 1480 and 2960 of the IP payload.',
      fact: 'byteOffsets',
      expect: { equals: [0, 1480, 2960] },
    },
    {
      id: 'lengths',
      says: 'IP total lengths are 1500, 1500 and 1068: 1480 + 1480 + 1048 payload bytes, each behind its own 20-byte header.',
      fact: 'lengths',
      expect: { equals: [1500, 1500, 1068] },
    },
    {
      id: 'mf',
      says: 'More Fragments is set on all but the last.',
      fact: 'mf',
      expect: { equals: [true, true, false] },
    },
    {
      id: 'no-df',
      says: 'None carries DF: a datagram larger than the link MTU is fragmented by default (IP_PMTUDISC_WANT).',
      fact: 'df',
      expect: { equals: [false, false, false] },
    },
    {
      id: 'udp-header-once',
      says: 'Only the first fragment carries the UDP header (length 4008); the others are bare IP payload.',
      fact: 'udpHeaderIn',
      expect: { equals: [4008, null, null] },
    },
    {
      id: 'sender-counters',
      says: 'The sender counts one datagram fragmented into three (FragOKs 1, FragCreates 3).',
      observe: (r) => [r.facts.senderFragOKs, r.facts.senderFragCreates],
      expect: { equals: [1, 3] },
    },
    {
      id: 'receiver-counters',
      says: 'The receiver counts three fragments in and one datagram reassembled (ReasmReqds 3, ReasmOKs 1).',
      observe: (r) => [r.facts.receiverReasmReqds, r.facts.receiverReasmOKs],
      expect: { equals: [3, 1] },
    },
    {
      id: 'one-recv',
      says: 'One recv() returns the whole 4000-byte datagram.',
      fact: 'reads',
      expect: { equals: [SIZE] },
    },
  ],
});
