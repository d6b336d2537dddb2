/**
 * Verify: two SO_REUSEPORT listeners on one port both receive connections: the kernel picks the
 * listener per connection from a hash of the four-tuple, so new connections spread over both.
 */
import { defineLab } from '../_lib/define.ts';
import { tcpSockets } from '../_lib/observe.ts';
import { SERVER_ADDR, pair } from './scenario.ts';

const PORT = 5106;
/** Connections in the capture (the first few), and in total. */
const SHOWN = 2;
const TOTAL = 40;

export default defineLab({
  id: 'socket-options/reuseport-balancing',
  title: 'SO_REUSEPORT spreads connections over listeners',
  verifies:
    'Verify: with two SO_REUSEPORT listeners on one address and port, 40 connections from one client are spread over both: each listener accepts some, and together they accept all 40.',
  probes: ['socket-options/reuse.c'],
  claims: [
    {
      id: 'two-listeners',
      says: 'ss shows two LISTEN sockets on the same address and port.',
      observe: (r) => r.facts.listenSockets,
      expect: { equals: 2 },
    },
    {
      id: 'a-gets-some',
      says: 'The first listener accepts some of the connections.',
      observe: (r) => r.facts.listenerA,
      expect: { atLeast: 1 },
    },
    {
      id: 'b-gets-some',
      says: 'The second listener accepts some of the connections.',
      observe: (r) => r.facts.listenerB,
      expect: { atLeast: 1 },
    },
    {
      id: 'all',
      says: 'Together they accept every connection; none is refused or lost.',
      observe: (r) => Number(r.facts.listenerA) + Number(r.facts.listenerB),
      expect: { equals: TOTAL },
    },
  ],
  async run(ctx) {
    const { client, server } = await pair(ctx);
    const group = ctx.probe(server, 'socket-options/reuse.c', ['group', SERVER_ADDR, PORT, TOTAL]);
    await group.waitFor('listening');
    const listeners = (await tcpSockets(server)).filter(
      (s) => s.state === 'LISTEN' && s.local === `${SERVER_ADDR}:${PORT}`,
    );

    // The first connections in the capture, the rest outside it (a ladder of 40 handshakes says nothing more).
    const capture = await ctx.capture(client);
    const first = ctx.probe(client, 'socket-options/reuse.c', [
      'connect',
      SERVER_ADDR,
      PORT,
      SHOWN,
      'hold',
    ]);
    await first.waitFor('done');
    const packets = await capture.stop();
    const rest = ctx.probe(client, 'socket-options/reuse.c', [
      'connect',
      SERVER_ADDR,
      PORT,
      TOTAL - SHOWN,
      'hold',
    ]);
    await rest.waitFor('done');
    const counts = await group.waitFor('counts', 10_000);
    return {
      hosts: ctx.hostInfo(),
      packets,
      events: ctx.events,
      facts: {
        listenSockets: listeners.length,
        connections: TOTAL,
        listenerA: counts.a,
        listenerB: counts.b,
      },
    };
  },
});
