/**
 * Verify: connect() to a port nobody listens on → SYN answered by RST/ACK (seq 0, ack ISN + 1,
 * window 0) → connect() fails with ECONNREFUSED, no retransmission.
 */
import { defineLab } from '../_lib/define.ts';
import { flagSequence, onPort, retransmissions } from '../_lib/packets.ts';

const PORT = 5001;

export default defineLab({
  id: 'handshakes/connection-refused',
  title: 'Connecting to a port nobody listens on',
  verifies:
    'Verify: a SYN to a closed port is answered at once by RST/ACK (seq 0, ack = ISN + 1, window 0) and connect() fails with ECONNREFUSED; nothing is retransmitted.',
  probes: ['handshakes/client.c'],
  claims: [
    {
      id: 'flags',
      says: 'The SYN is answered by one RST/ACK and nothing else.',
      observe: (r) => r.facts.flags,
      expect: { equals: ['S', 'R.'] },
    },
    {
      id: 'rst-seq',
      says: 'The RST carries sequence number 0: the SYN had no ACK to take a number from (RFC 9293 §3.10.7.1).',
      observe: (r) => r.facts.rstSeq,
      expect: { equals: 0 },
    },
    {
      id: 'rst-ack',
      says: "The RST acknowledges the client's ISN + 1, so the client accepts it as in-window.",
      observe: (r) => r.facts.rstRelAck,
      expect: { equals: 1 },
    },
    {
      id: 'rst-window',
      says: 'The RST advertises a zero window.',
      observe: (r) => r.facts.rstWindow,
      expect: { equals: 0 },
    },
    {
      id: 'errno',
      says: 'connect() fails with ECONNREFUSED.',
      observe: (r) => r.facts.errno,
      expect: { equals: 'ECONNREFUSED' },
    },
    {
      id: 'no-retransmit',
      says: 'Nothing is retransmitted: a refusal is final.',
      observe: (r) => r.facts.retransmissions,
      expect: { equals: 0 },
    },
    {
      id: 'fast',
      says: 'The answer takes well under a millisecond on a local link (no timer involved).',
      observe: (r) => r.facts.refusalMs,
      expect: { atMost: 50 },
    },
  ],
  async run(ctx) {
    const client = await ctx.host('client');
    const server = await ctx.host('server');
    await ctx.link(client, server, { a: '198.51.100.1/24', b: '198.51.100.2/24', mtu: 1500 });
    const capture = await ctx.capture(client);
    const connector = ctx.probe(client, 'handshakes/client.c', ['198.51.100.2', PORT, 1, 3000]);
    const failed = await connector.waitFor('failed');
    const packets = await capture.stop();

    const [syn, rst] = onPort(packets, PORT);
    return {
      hosts: ctx.hostInfo(),
      packets,
      events: ctx.events,
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
});
