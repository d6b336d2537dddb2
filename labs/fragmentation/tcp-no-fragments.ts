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
    return {
      facts: {
        payloads: data.map((p) => p.tcp.payloadLength),
        ids: data.map((p) => p.ip.id),
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
      says: 'Each segment is a whole IP datagram: DF set, MF clear, offset 0.',
      fact: 'shapes',
      expect: { equals: [[true, false, 0]] },
    },
    {
      id: 'own-ids',
      says: 'Each segment carries its own IP identification: nothing is ever to be reassembled from them.',
      observe: (r) => new Set(r.facts.ids as number[]).size,
      expect: { equals: 3 },
      kernelNote:
        'Linux numbers DF packets of a connected socket from a per-socket counter; some older kernels sent id 0 on DF packets',
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
