import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters, tcpSockets } from '../_lib/observe.ts';
import { onPort } from '../_lib/packets.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';
import { segmentsAfterHandshake, stateWalk } from './_scenario.ts';

const PORT = 5050;

export default defineLab({
  title: 'close() with unread data sends RST',
  verifies:
    "Verify: the client sends a 16-byte request; the server lets it arrive, reads none of it and calls close(): the server sends RST (no FIN), the client's recv() fails with ECONNRESET, and neither side keeps a TIME-WAIT.",
  takeaway:
    "close() on a socket with unread received data sends RST instead of FIN: the peer's read fails with ECONNRESET instead of returning end-of-file, and the closing side keeps no TIME-WAIT.",
  probes: ['teardown/unread-close.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const srv = ctx.probe(server, 'teardown/unread-close.c', ['server', SERVER, PORT]);
    await srv.waitFor('listening');
    const cli = ctx.probe(client, 'teardown/unread-close.c', ['client', SERVER, PORT]);
    await srv.waitFor('done');
    const recv = await cli.waitFor('recv');
    await cli.waitFor('done');
    const serverSs = await tcpSockets(server);
    const packets = await capture.stop();
    const serverCounters = await counters(server);

    const fromServer = onPort(packets, PORT).filter((p) => p.ip.src === SERVER);
    return {
      facts: {
        serverUnreadBytes: srv.events.find((e) => e.event === 'unread')?.bytes,
        serverRsts: fromServer.filter((p) => p.tcp.rst).length,
        serverFins: fromServer.filter((p) => p.tcp.fin).length,
        segments: segmentsAfterHandshake(packets, PORT),
        clientRecvRet: recv.ret,
        clientRecvErrno: recv.errno,
        serverStateAfterClose: srv.events.find((e) => e.event === 'closed')?.state,
        serverSsAfter:
          serverSs.find((s) => s.state !== 'LISTEN' && s.local.endsWith(`:${PORT}`))?.state ??
          'none',
        serverWalk: stateWalk(srv),
        clientWalk: stateWalk(cli),
        serverAbortOnClose: serverCounters.TcpExtTCPAbortOnClose,
        serverAbortOnData: serverCounters.TcpExtTCPAbortOnData,
      },
    };
  },
  claims: [
    {
      id: 'unread',
      says: 'When the server calls close(), 16 bytes sit unread in its receive queue.',
      fact: 'serverUnreadBytes',
      expect: { equals: 16 },
    },
    {
      id: 'rst',
      says: 'The server answers close() with RST and never sends FIN.',
      observe: (r) => [r.facts.serverRsts, r.facts.serverFins],
      expect: { equals: [1, 0] },
    },
    {
      id: 'segments',
      says: 'On the wire: the request, the ACK, then the RST from the server.',
      observe: (r) => (r.facts.segments as string[]).filter((s) => s !== 'server:.'),
      expect: { equals: ['client:P.', 'server:R.'] },
    },
    {
      id: 'econnreset',
      says: "The client's recv() fails with ECONNRESET instead of returning 0.",
      observe: (r) => [r.facts.clientRecvRet, r.facts.clientRecvErrno],
      expect: { equals: [-1, 'ECONNRESET'] },
    },
    {
      id: 'no-time-wait',
      says: 'The server closed first yet keeps no TIME-WAIT: right after close() the connection is gone.',
      observe: (r) => [r.facts.serverStateAfterClose, r.facts.serverSsAfter],
      expect: { equals: ['GONE', 'none'] },
    },
    {
      id: 'counter',
      says: 'The server counts it as TCPAbortOnClose (nstat), the counter for "unread data was tossed".',
      fact: 'serverAbortOnClose',
      expect: { equals: 1 },
    },
  ],
});
