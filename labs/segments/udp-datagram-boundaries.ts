import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { SENDER, streamScenario } from '../_lib/stream.ts';
import { READ_BUFFER, WRITES } from './stream-no-boundaries.ts';

const PORT = 5103;

export default defineLab({
  title: 'UDP keeps one datagram per send and per recv',
  verifies:
    'Verify: four send() calls of 300, 300, 300 and 1200 bytes on a UDP socket leave as four datagrams; with all four queued, recv() with a 1000-byte buffer returns one datagram per call (300, 300, 300) and cuts the 1200-byte one to 1000 bytes, flagging MSG_TRUNC and dropping the rest.',
  takeaway:
    'UDP keeps message boundaries: each send() is one datagram and each recv() returns one. A datagram longer than the buffer is cut, flagged MSG_TRUNC, and its tail discarded.',
  probes: ['probes/stream.c'],
  run: async (ctx: LabContext) => {
    const s = await streamScenario(ctx, {
      proto: 'udp',
      port: PORT,
      writes: WRITES,
      readBuffer: READ_BUFFER,
    });
    const datagrams = s.packets.filter((p) => p.udp && p.ip.src === SENDER);
    return {
      facts: {
        writes: s.wrote.map((e) => e.ret),
        datagramPayloads: datagrams.map((p) => p.udp!.payloadLength),
        // With MSG_TRUNC, recvmsg returns the datagram's real length; `copied` is what fitted.
        readLengths: s.reads.map((e) => e.ret),
        copied: s.reads.map((e) => e.copied),
        truncated: s.reads.map((e) => e.truncated),
        readsUntilEmpty: s.reads.length,
      },
    };
  },
  claims: [
    {
      id: 'datagrams',
      says: 'Each send() leaves as one UDP datagram of exactly its size.',
      fact: 'datagramPayloads',
      expect: { equals: WRITES },
    },
    {
      id: 'reads',
      says: 'Each recv() returns one datagram, never more, although the buffer could hold three of the small ones.',
      fact: 'readLengths',
      expect: { equals: [300, 300, 300, 1200] },
    },
    {
      id: 'copied',
      says: 'The 1200-byte datagram is cut to the 1000-byte buffer.',
      fact: 'copied',
      expect: { equals: [300, 300, 300, 1000] },
    },
    {
      id: 'truncated',
      says: 'Only that read is flagged MSG_TRUNC (recvmsg msg_flags).',
      fact: 'truncated',
      expect: { equals: [false, false, false, true] },
    },
    {
      id: 'rest-discarded',
      says: 'The cut-off 200 bytes are not returned by a later read: after four reads the queue is empty.',
      fact: 'readsUntilEmpty',
      expect: { equals: 4 },
    },
  ],
});
