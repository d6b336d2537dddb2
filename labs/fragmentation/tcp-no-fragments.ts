import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { tcp } from '../_lib/packets.ts';
import { SENDER, streamScenario } from '../_lib/stream.ts';

const PORT = 5303;
const SIZE = 4000;

export default defineLab({
  title: 'TCP cuts segments instead of fragments',
  verifies:
    'Verify: a 4000-byte write() on a TCP socket over a 1500-byte link leaves as three segments of 1448, 1448 and 1104 bytes, each its own IP datagram with DF set, MF clear and offset 0; the sender counts no fragmentation (FragCreates 0), and one read() returns the 4000 bytes.',
  takeaway:
    'TCP cuts its data into MSS-sized segments, each a whole IP datagram with DF set, so a normal TCP connection creates no fragments at all.',
  probes: ['probes/stream.c'],
  run: async (ctx: LabContext) => {
    const s = await streamScenario(ctx, {
      proto: 'tcp',
      port: PORT,
      writes: [SIZE],
      readBuffer: 65536,
      gsoMaxSegs: 1,
    });
    const { sender, receiver } = s;
    const sent = await counters(sender);
    const got = await counters(receiver);
    const data = tcp(s.packets).filter((p) => p.ip.src === SENDER && p.tcp.payloadLength > 0);
    const fromSender = tcp(s.packets).filter((p) => p.ip.src === SENDER);
    const senderIds = fromSender.map((p) => p.ip.id as number);
    return {
      facts: {
        payloads: data.map((p) => p.tcp.payloadLength),
        ids: data.map((p) => p.ip.id),
        // Every packet the connected sender sent (SYN, ACKs, data), in order: id steps.
        senderIdSteps: senderIds.slice(1).map((id, i) => (id - senderIds[i] + 65536) % 65536),
        synAckId: tcp(s.packets).find((p) => p.ip.src !== SENDER && p.tcp.syn && p.tcp.ack)?.ip.id,
        synAckDf: tcp(s.packets).find((p) => p.ip.src !== SENDER && p.tcp.syn && p.tcp.ack)?.ip.df,
        shapes: [
          ...new Map(
            data.map((p) => [
              `${p.ip.df}${p.ip.mf}${p.ip.fragOffset}`,
              [p.ip.df, p.ip.mf, p.ip.fragOffset],
            ]),
          ).values(),
        ],
        senderFragCreates: sent.IpFragCreates,
        receiverReasmReqds: got.IpReasmReqds,
        reads: s.reads.map((e) => e.copied),
      },
    };
  },
  claims: [
    {
      id: 'segments',
      says: 'TCP cuts the 4000 bytes itself into 1448 + 1448 + 1104.',
      fact: 'payloads',
      expect: { equals: [1448, 1448, 1104] },
    },
    {
      id: 'whole-datagrams',
      says: 'Each segment is a whole IP datagram: DF set (the default on a route whose MTU is not locked), MF clear, offset 0.',
      fact: 'shapes',
      expect: { equals: [[true, false, 0]] },
    },
    {
      id: 'own-ids',
      says: 'Each segment carries its own IP identification: the connected socket numbers every packet it sends from its own counter, so the ids step by exactly 1.',
      observe: (r) => [...new Set(r.facts.senderIdSteps as number[])],
      expect: { equals: [1] },
      kernelNote:
        'a per-socket counter (inet_id, random start) for connected sockets, DF or not, since 5.14 and in 5.10.y stable (ip_select_ident_segs())',
    },
    {
      id: 'synack-id',
      says: 'The SYN-ACK, sent before the server has a connected socket, carries DF and id 0 (ip_build_and_send_pkt()).',
      observe: (r) => [r.facts.synAckId, r.facts.synAckDf],
      expect: { equals: [0, true] },
    },
    {
      id: 'no-fragmentation',
      says: 'The sender fragments nothing: FragCreates stays 0.',
      fact: 'senderFragCreates',
      expect: { equals: 0 },
    },
    {
      id: 'one-read',
      says: 'The receiver’s read() returns the 4000 bytes; TCP, not IP, put them back in order.',
      fact: 'reads',
      expect: { equals: [SIZE] },
    },
  ],
});
