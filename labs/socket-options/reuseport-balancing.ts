import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcpSockets } from '../_lib/observe.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5106;
/** Connections in the capture (the first few), and in total. */
const SHOWN = 2;
const TOTAL = 40;

export default defineLab({
  title: 'SO_REUSEPORT spreads connections over listeners',
  verifies:
    'Verify: with two SO_REUSEPORT listeners on one address and port, 40 connections from one client are spread over both: each listener accepts some, and together they accept all 40.',
  takeaway:
    'Several SO_REUSEPORT listeners on one address and port share the new connections, each connection going to exactly one of them.',
  probes: ['socket-options/reuse.c'],
  run: async (ctx: LabContext) => {
    const { client, server } = await clientServer(ctx, { capture: false });
    const group = ctx.probe(server, 'socket-options/reuse.c', ['group', SERVER, PORT, TOTAL]);
    await group.waitFor('listening');
    const listeners = (await tcpSockets(server)).filter(
      (s) => s.state === 'LISTEN' && s.local === `${SERVER}:${PORT}`,
    );

    // The first connections in the capture, the rest outside it (a ladder of 40 handshakes says nothing more).
    const capture = await ctx.capture(client);
    const first = ctx.probe(client, 'socket-options/reuse.c', [
      'connect',
      SERVER,
      PORT,
      SHOWN,
      'hold',
    ]);
    await first.waitFor('done');
    await capture.stop();
    const rest = ctx.probe(client, 'socket-options/reuse.c', [
      'connect',
      SERVER,
      PORT,
      TOTAL - SHOWN,
      'hold',
    ]);
    await rest.waitFor('done');
    const counts = await group.waitFor('counts', 10_000);
    return {
      facts: {
        listenSockets: listeners.length,
        connections: TOTAL,
        listenerA: counts.a,
        listenerB: counts.b,
      },
    };
  },
  claims: [
    {
      id: 'two-listeners',
      says: 'ss shows two LISTEN sockets on the same address and port.',
      fact: 'listenSockets',
      expect: { equals: 2 },
    },
    {
      id: 'a-gets-some',
      says: 'The first listener accepts some of the connections.',
      fact: 'listenerA',
      expect: { atLeast: 1 },
    },
    {
      id: 'b-gets-some',
      says: 'The second listener accepts some of the connections.',
      fact: 'listenerB',
      expect: { atLeast: 1 },
    },
    {
      id: 'all',
      says: 'Together they accept every connection; none is refused or lost.',
      observe: (r) => Number(r.facts.listenerA) + Number(r.facts.listenerB),
      expect: { equals: TOTAL },
    },
  ],
});
