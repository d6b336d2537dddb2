import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcp } from '../_lib/packets.ts';
import { SENDER, streamScenario } from '../_lib/stream.ts';

const PORT = 5102;
export const WRITES = [300, 300, 300, 1200];
export const READ_BUFFER = 1000;

export default defineLab({
  title: 'TCP keeps no message boundaries',
  verifies:
    'Verify: four send() calls of 300, 300, 300 and 1200 bytes on a TCP socket (TCP_NODELAY) are read, once all 2100 bytes are queued, by reads of a 1000-byte buffer as 1000, 1000 and 100 bytes: the reads do not line up with the writes.',
  takeaway:
    'TCP keeps no message boundaries: a read returns whatever bytes are queued, up to its buffer size, regardless of where one send() ended, so a protocol on TCP must frame its own messages.',
  probes: ['probes/stream.c'],
  run: async (ctx: LabContext) => {
    const s = await streamScenario(ctx, {
      proto: 'tcp',
      port: PORT,
      writes: WRITES,
      readBuffer: READ_BUFFER,
      senderOptions: ['nodelay'],
    });
    const data = tcp(s.packets).filter((p) => p.ip.src === SENDER && p.tcp.payloadLength > 0);
    const reads = s.reads.map((e) => e.copied as number);
    return {
      facts: {
        writes: s.wrote.map((e) => e.ret),
        segmentPayloads: data.map((p) => p.tcp.payloadLength),
        payloadTotal: data.reduce((sum, p) => sum + p.tcp.payloadLength, 0),
        reads,
        firstReadSpansWrites: writesSpanned(WRITES, 0, reads[0] ?? 0),
      },
    };
  },
  claims: [
    {
      id: 'writes',
      says: 'The sender made four send() calls, each fully accepted.',
      fact: 'writes',
      expect: { equals: WRITES },
    },
    {
      id: 'wire-bytes',
      says: 'The segments on the wire carry the 2100 bytes.',
      fact: 'payloadTotal',
      expect: { equals: 2100 },
    },
    {
      id: 'reads',
      says: 'Reads with a 1000-byte buffer return 1000, 1000, 100: each fills the buffer from whatever bytes are next.',
      fact: 'reads',
      expect: { equals: [1000, 1000, 100] },
    },
    {
      id: 'first-read-spans',
      says: 'The first read holds all of the first three writes and 100 bytes of the fourth.',
      fact: 'firstReadSpansWrites',
      expect: { equals: [0, 1, 2, 3] },
    },
  ],
});

/** Indexes of the writes whose bytes fall in the stream range [from, from + length). */
function writesSpanned(writes: number[], from: number, length: number): number[] {
  const spanned: number[] = [];
  let start = 0;
  writes.forEach((size, i) => {
    if (start < from + length && start + size > from) spanned.push(i);
    start += size;
  });
  return spanned;
}
