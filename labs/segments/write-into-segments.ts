import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcp } from '../_lib/packets.ts';
import { RECEIVER, SENDER, streamScenario } from '../_lib/stream.ts';

const PORT = 5100;
const WRITE = 10000;

export default defineLab({
  title: 'One write(), many segments',
  verifies:
    'Verify: one 10000-byte write() on a TCP socket over a 1500-byte link leaves as 7 segments of at most 1448 payload bytes (MSS 1460 − 12 bytes of timestamp option), their sequence numbers advance by the bytes carried, and one read() on the other end returns all 10000 bytes.',
  takeaway:
    'TCP cuts one large write into segments of at most one MSS of payload, less option bytes, numbered by byte and each sent with DF; IP never fragments them, and the reader can get all the bytes back in one read().',
  probes: ['probes/stream.c'],
  run: async (ctx: LabContext) => {
    const s = await streamScenario(ctx, {
      proto: 'tcp',
      port: PORT,
      writes: [WRITE],
      readBuffer: 65536,
      gsoMaxSegs: 1,
    });
    const segs = tcp(s.packets);
    const data = segs.filter((p) => p.ip.src === SENDER && p.tcp.payloadLength > 0);
    const acks = segs.filter((p) => p.ip.src === RECEIVER && p.tcp.ack);
    const syn = segs.find((p) => p.tcp.syn && !p.tcp.ack);
    return {
      facts: {
        synMss: syn?.tcp.options.mss,
        sndMss: s.connected.sndMss,
        writes: s.wrote.map((e) => e.ret),
        payloads: data.map((p) => p.tcp.payloadLength),
        maxIpLength: Math.max(...segs.map((p) => p.ip.length)),
        relSeqs: data.map((p) => p.tcp.relSeq),
        lastRelAck: acks.at(-1)?.tcp.relAck,
        dataDfFlags: [
          ...new Set(
            data.map(
              (p) => `${p.ip.df ? 'DF' : ''}${p.ip.mf ? 'MF' : ''}${p.ip.fragOffset ? 'off' : ''}`,
            ),
          ),
        ],
        reads: s.reads.map((e) => e.copied),
        receiverRcvMss: s.received?.rcvMss,
      },
    };
  },
  claims: [
    {
      id: 'syn-mss',
      says: 'The SYN advertises MSS 1460 (MTU 1500 − 20 IP − 20 TCP).',
      fact: 'synMss',
      expect: { equals: 1460 },
    },
    {
      id: 'snd-mss',
      says: 'The sender segments at 1448 bytes: 1460 minus the 12-byte timestamp option each segment carries.',
      fact: 'sndMss',
      expect: { equals: 1448 },
    },
    {
      id: 'one-write',
      says: 'The application made a single write() call that took all 10000 bytes.',
      fact: 'writes',
      expect: { equals: [WRITE] },
    },
    {
      id: 'payloads',
      says: 'The write leaves as 7 segments: six full ones of 1448 bytes and one of 1312.',
      fact: 'payloads',
      expect: { equals: [1448, 1448, 1448, 1448, 1448, 1448, 1312] },
    },
    {
      id: 'max-ip-length',
      says: 'No captured IP packet is longer than the 1500-byte MTU.',
      fact: 'maxIpLength',
      expect: { equals: 1500 },
    },
    {
      id: 'rel-seqs',
      says: 'Each relative sequence number is the previous one plus the bytes it carried: sequence numbers count bytes, not segments.',
      fact: 'relSeqs',
      expect: { equals: [1, 1449, 2897, 4345, 5793, 7241, 8689] },
    },
    {
      id: 'last-ack',
      says: "The receiver's last ACK acknowledges 10001: the ISN + 1 for the SYN + 10000 bytes.",
      fact: 'lastRelAck',
      expect: { equals: WRITE + 1 },
    },
    {
      id: 'df',
      says: 'Every data segment has DF set and is not a fragment.',
      fact: 'dataDfFlags',
      expect: { equals: ['DF'] },
    },
    {
      id: 'one-read',
      says: 'With everything queued, one read() with a 64 KiB buffer returns all 10000 bytes: the segment boundaries are gone.',
      fact: 'reads',
      expect: { equals: [WRITE] },
    },
  ],
});
