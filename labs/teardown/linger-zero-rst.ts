import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters, tcpSockets } from '../_lib/observe.ts';
import { onPort } from '../_lib/packets.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { nextStep, stateWalk, waitForState } from './_scenario.ts';

const PORT = 5040;

export default defineLab({
  title: 'Abortive close: SO_LINGER {on, 0}',
  verifies:
    'Verify: the client fills the connection until its send buffer holds unsent data, sets SO_LINGER {1, 0} and calls close(): it returns without waiting for the data, the client sends RST (no FIN), the unsent data is discarded, the client keeps no TIME-WAIT, and the server, reading afterwards, gets ECONNRESET.',
  takeaway:
    "close() with SO_LINGER {on, 0} aborts the connection: it returns at once, sends RST instead of FIN, throws away unsent data and leaves no TIME-WAIT, and the peer's next read fails with ECONNRESET.",
  probes: ['teardown/linger.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const srv = ctx.probe(server, 'teardown/linger.c', ['server', SERVER, PORT]);
    await srv.waitFor('listening');
    const cli = ctx.probe(client, 'teardown/linger.c', ['client', SERVER, PORT, 0]);
    await srv.waitFor('accepted');
    const filled = await cli.waitFor('filled');
    await nextStep(cli);
    const closed = await cli.waitFor('closed');
    await cli.waitFor('done');
    await waitForState(srv, 'GONE');
    const clientSs = await tcpSockets(client);
    await nextStep(srv);
    const read = await srv.waitFor('read');
    const packets = await capture.stop();
    const clientCounters = await counters(client);

    const fromClient = onPort(packets, PORT).filter((p) => p.ip.src === CLIENT);
    return {
      facts: {
        clientWrote: filled.bytes,
        clientSendQBeforeClose: filled.sendQ,
        closeRet: closed.ret,
        closeBlockedS: closed.blockedS,
        clientStateAfterClose: closed.state,
        clientRsts: fromClient.filter((p) => p.tcp.rst).length,
        clientFins: fromClient.filter((p) => p.tcp.fin).length,
        clientLastSegmentFlags: fromClient.at(-1)?.tcp.flags,
        clientSsAfter: clientSs.find((s) => s.peer.endsWith(`:${PORT}`))?.state ?? 'none',
        clientWalk: stateWalk(cli),
        serverWalk: stateWalk(srv),
        serverBytes: read.bytes,
        serverReadRet: read.ret,
        serverReadErrno: read.errno,
        clientAbortOnData: clientCounters.TcpExtTCPAbortOnData,
        clientAbortOnLinger: clientCounters.TcpExtTCPAbortOnLinger,
      },
    };
  },
  claims: [
    {
      id: 'unsent',
      says: 'Before close() the client has bytes queued that the server has not received (send queue).',
      fact: 'clientSendQBeforeClose',
      expect: { atLeast: 1 },
    },
    {
      id: 'rst-not-fin',
      says: 'The client ends the connection with RST; it never sends FIN.',
      observe: (r) => [r.facts.clientRsts, r.facts.clientFins],
      expect: { equals: [1, 0] },
    },
    {
      id: 'no-data-after-close',
      says: 'Nothing queued goes out after close(): the RST is the last segment the client sends.',
      fact: 'clientLastSegmentFlags',
      expect: { equals: 'R.' },
    },
    {
      id: 'immediate',
      says: 'close() does not wait for the queued data to drain: it returns within 50 ms (s).',
      fact: 'closeBlockedS',
      expect: { atMost: 0.05 },
      cost: true,
    },
    {
      id: 'no-time-wait',
      says: 'The client keeps no socket at all: no TIME-WAIT (sock_diag and ss).',
      observe: (r) => [r.facts.clientStateAfterClose, r.facts.clientSsAfter],
      expect: { equals: ['GONE', 'none'] },
    },
    {
      id: 'econnreset',
      says: "The server's read() fails with ECONNRESET.",
      fact: 'serverReadErrno',
      expect: { equals: 'ECONNRESET' },
    },
    {
      id: 'discarded',
      says: 'The server receives fewer bytes than the client wrote: the rest was discarded (bytes lost).',
      observe: (r) => Number(r.facts.clientWrote) - Number(r.facts.serverBytes),
      expect: { atLeast: 1 },
    },
    {
      id: 'counter',
      says: 'The client counts it as TCPAbortOnData (nstat), not TCPAbortOnLinger.',
      observe: (r) => [r.facts.clientAbortOnData, r.facts.clientAbortOnLinger],
      expect: { equals: [1, 0] },
      kernelNote: 'TCPAbortOnLinger counts orphans reset because tcp_linger2 < 0, not SO_LINGER',
    },
  ],
});
