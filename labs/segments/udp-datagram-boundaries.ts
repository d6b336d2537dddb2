/**
 * Verify: four send() calls of 300, 300, 300 and 1200 bytes on a UDP socket leave as four
 * datagrams and are read by four recv() calls of a 1000-byte buffer: 300, 300, 300, and the
 * 1200-byte datagram cut to 1000 with MSG_TRUNC; its last 200 bytes are gone.
 */
import { defineLab } from '../_lib/define.ts';
import { SENDER, streamScenario } from './scenario.ts';
import { READ_BUFFER, WRITES } from './stream-no-boundaries.ts';

const PORT = 5103;

export default defineLab({
  id: 'segments/udp-datagram-boundaries',
  title: 'UDP keeps one datagram per send and per recv',
  verifies:
    'Verify: four send() calls of 300, 300, 300 and 1200 bytes on a UDP socket leave as four datagrams; with all four queued, recv() with a 1000-byte buffer returns one datagram per call (300, 300, 300) and cuts the 1200-byte one to 1000 bytes, flagging MSG_TRUNC and dropping the rest.',
  probes: ['segments/stream.c'],
  claims: [
    {
      id: 'datagrams',
      says: 'Each send() leaves as one UDP datagram of exactly its size.',
      observe: (r) => r.facts.datagramPayloads,
      expect: { equals: WRITES },
    },
    {
      id: 'reads',
      says: 'Each recv() returns one datagram, never more, although the buffer could hold three of the small ones.',
      observe: (r) => r.facts.readLengths,
      expect: { equals: [300, 300, 300, 1200] },
    },
    {
      id: 'copied',
      says: 'The 1200-byte datagram is cut to the 1000-byte buffer.',
      observe: (r) => r.facts.copied,
      expect: { equals: [300, 300, 300, 1000] },
    },
    {
      id: 'truncated',
      says: 'Only that read is flagged MSG_TRUNC (recvmsg msg_flags).',
      observe: (r) => r.facts.truncated,
      expect: { equals: [false, false, false, true] },
    },
    {
      id: 'rest-discarded',
      says: 'The cut-off 200 bytes are not returned by a later read: after four reads the queue is empty.',
      observe: (r) => r.facts.readsUntilEmpty,
      expect: { equals: 4 },
    },
  ],
  async run(ctx) {
    const s = await streamScenario(ctx, {
      proto: 'udp',
      port: PORT,
      writes: WRITES,
      readBuffer: READ_BUFFER,
    });
    const datagrams = s.packets.filter((p) => p.udp && p.ip.src === SENDER);
    return {
      hosts: ctx.hostInfo(),
      packets: s.packets,
      events: ctx.events,
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
});
