import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { flagSequence, onPort, retransmissions } from '../_lib/packets.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5001;

export default defineLab({
  title: 'Connecting to a port nobody listens on',
  verifies:
    'Verify: a SYN to a closed port is answered at once by RST/ACK (seq 0, ack = ISN + 1, window 0) and connect() fails with ECONNREFUSED; nothing is retransmitted.',
  takeaway:
    "connect() to a port nobody listens on fails at once with ECONNREFUSED: the peer's kernel answers the SYN with RST, and nothing is retried.",
  probes: ['probes/tcp-client.c'],
  run: async (ctx: LabContext) => {
    const { client, capture } = await clientServer(ctx);
    const connector = ctx.probe(client, 'probes/tcp-client.c', [SERVER, PORT, 1, 3000]);
    const failed = await connector.waitFor('failed');
    const packets = await capture.stop();

    const [syn, rst] = onPort(packets, PORT);
    return {
      facts: {
        flags: flagSequence(packets),
        errno: failed.errno,
        rstSeq: rst?.tcp.seq,
        rstRelAck: rst?.tcp.relAck,
        rstWindow: rst?.tcp.window,
        retransmissions: retransmissions(packets).length,
        refusalMs: syn && rst ? Math.round((rst.t - syn.t) * 1e6) / 1e3 : undefined,
      },
    };
  },
  claims: [
    {
      id: 'flags',
      says: 'The SYN is answered by one RST/ACK and nothing else.',
      fact: 'flags',
      expect: { equals: ['S', 'R.'] },
    },
    {
      id: 'rst-seq',
      says: 'The RST carries sequence number 0: the SYN had no ACK to take a number from (RFC 9293 §3.10.7.1).',
      fact: 'rstSeq',
      expect: { equals: 0 },
    },
    {
      id: 'rst-ack',
      says: "The RST acknowledges the client's ISN + 1, so the client accepts it as in-window.",
      fact: 'rstRelAck',
      expect: { equals: 1 },
    },
    {
      id: 'rst-window',
      says: 'The RST advertises a zero window.',
      fact: 'rstWindow',
      expect: { equals: 0 },
    },
    {
      id: 'errno',
      says: 'connect() fails with ECONNREFUSED.',
      fact: 'errno',
      expect: { equals: 'ECONNREFUSED' },
    },
    {
      id: 'no-retransmit',
      says: 'Nothing is retransmitted: a refusal is final.',
      fact: 'retransmissions',
      expect: { equals: 0 },
    },
    {
      id: 'fast',
      says: 'The answer takes well under a millisecond on a local link (no timer involved).',
      fact: 'refusalMs',
      expect: { atMost: 50 },
    },
  ],
});
