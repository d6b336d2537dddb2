import { defineLab } from '../_lib/define.ts';
import type { LabContext, LabEvent } from '../_lib/types.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { udpSettled } from './_scenario.ts';

const PORT = 5400;
const SENDS = [100, 0, 1200, 1200];
/** Buffer sizes of the four reads; `t` adds the MSG_TRUNC flag to recvmsg(). */
const READS = ['4096', '4096', '1000', '1000t'];

const reads = (r: { events: LabEvent[] }) => r.events.filter((e) => e.event === 'read');

export default defineLab({
  title: 'One send(), one datagram, one recv()',
  verifies:
    'Verify: four send() calls of 100, 0, 1200 and 1200 bytes leave as four datagrams; with all four queued, each recv() returns exactly one of them (100, then 0 for the empty one), a 1000-byte buffer cuts a 1200-byte datagram and sets MSG_TRUNC in msg_flags, and the MSG_TRUNC flag makes recv() return the real length, 1200.',
  takeaway:
    'Each UDP send() is one datagram and each recv() returns exactly one: an empty datagram reads as 0, a short buffer cuts the datagram and sets MSG_TRUNC, and the MSG_TRUNC flag makes recv() return the full length.',
  probes: ['udp/udp.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const receiver = ctx.probe(server, 'udp/udp.c', ['recv', SERVER, PORT, 0, READS.join(',')]);
    await receiver.waitFor('bound');
    const sender = ctx.probe(client, 'udp/udp.c', ['send', SERVER, PORT, SENDS.join(',')]);
    await sender.waitFor('done');
    // All four are queued on the receiving socket before the first recv().
    const udp = await udpSettled(server, SENDS.length);
    receiver.signal('SIGUSR1');
    const empty = await receiver.waitFor('empty');
    const packets = await capture.stop();
    const r = reads(receiver);
    return {
      facts: {
        sent: sender.events.filter((e) => e.event === 'sent').map((e) => e.ret ?? e.errno),
        datagramPayloads: packets
          .filter((p) => p.udp && p.ip.src === CLIENT)
          .map((p) => p.udp!.payloadLength),
        readBuffers: r.map((e) => e.size),
        readFlags: r.map((e) => e.flags),
        returned: r.map((e) => e.ret ?? e.errno),
        copied: r.map((e) => e.copied),
        truncated: r.map((e) => e.truncated),
        afterFourReads: empty.errno,
        ipInDelivers: udp.IpInDelivers,
      },
    };
  },
  claims: [
    {
      id: 'datagrams',
      says: 'Each send() leaves as one UDP datagram carrying exactly its bytes, the empty one included.',
      fact: 'datagramPayloads',
      expect: { equals: SENDS },
    },
    {
      id: 'one-per-recv',
      says: 'A 4096-byte buffer receives the 100-byte datagram alone, not merged with the next.',
      observe: (r) => (r.facts.returned as unknown[])[0],
      expect: { equals: 100 },
    },
    {
      id: 'empty-datagram',
      says: 'The next recv() returns 0: an empty datagram, not end-of-file.',
      observe: (r) => (r.facts.returned as unknown[])[1],
      expect: { equals: 0 },
    },
    {
      id: 'cut',
      says: 'A 1000-byte buffer gets the first 1000 bytes of a 1200-byte datagram, and recv() returns 1000.',
      observe: (r) => (r.facts.returned as unknown[])[2],
      expect: { equals: 1000 },
    },
    {
      id: 'flagged',
      says: 'Only the cut reads carry MSG_TRUNC in msg_flags.',
      fact: 'truncated',
      expect: { equals: [false, false, true, true] },
    },
    {
      id: 'real-length',
      says: 'With the MSG_TRUNC flag, recv() returns the real length of the datagram although only 1000 bytes were copied (recv(2), Linux-specific).',
      observe: (r) => (r.facts.returned as unknown[])[3],
      expect: { equals: 1200 },
    },
    {
      id: 'rest-gone',
      says: 'The cut-off bytes are discarded with their datagram: after four reads the queue is empty (EAGAIN).',
      fact: 'afterFourReads',
      expect: { equals: 'EAGAIN' },
    },
  ],
});
