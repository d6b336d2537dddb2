import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { onPort } from '../_lib/packets.ts';
import { tcpSockets } from '../_lib/observe.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { nextStep, stateWalk } from './_scenario.ts';

const PORT = 5030;
const REPLY = 4000;

export default defineLab({
  title: 'Half-close with shutdown(SHUT_WR)',
  verifies: `Verify: the client writes a request and calls shutdown(SHUT_WR) → FIN; the server reads the request, then read() = 0 in CLOSE-WAIT, and still sends a ${REPLY}-byte reply, which the client, in FIN-WAIT-2, receives and ACKs in full before read() = 0.`,
  takeaway:
    'shutdown(SHUT_WR) sends a FIN but keeps the receiving direction open: the peer reads end-of-file and can still send its whole reply, which the half-closed side reads before its own end-of-file.',
  probes: ['teardown/half-close.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const srv = ctx.probe(server, 'teardown/half-close.c', ['server', SERVER, PORT, REPLY]);
    await srv.waitFor('listening');
    const cli = ctx.probe(client, 'teardown/half-close.c', ['client', SERVER, PORT, REPLY]);
    const halfClosed = await cli.waitFor('half-closed');
    await srv.waitFor('waiting');
    const middle = { client: await tcpSockets(client), server: await tcpSockets(server) };
    await nextStep(srv);
    await cli.waitFor('done');
    await srv.waitFor('done');
    const packets = await capture.stop();

    const segs = onPort(packets, PORT);
    const fin = segs.findIndex((p) => p.ip.src === CLIENT && p.tcp.fin);
    const firstReply = segs.findIndex((p) => p.ip.src === SERVER && p.tcp.payloadLength > 0);
    const fromClient = segs.filter((p) => p.ip.src === CLIENT);
    const received = cli.events.find((e) => e.event === 'received');
    return {
      facts: {
        serverRequestBytes: srv.events.find((e) => e.event === 'request')?.bytes,
        serverEofState: srv.events.find((e) => e.event === 'eof')?.state,
        serverReplyRet: srv.events.find((e) => e.event === 'replied')?.bytes,
        clientFinBeforeReply: fin >= 0 && firstReply > fin,
        replyBytesAfterClientFin: segs
          .slice(fin + 1)
          .filter((p) => p.ip.src === SERVER)
          .reduce((n, p) => n + p.tcp.payloadLength, 0),
        clientFinalRelAck: fromClient.at(-1)?.tcp.relAck,
        clientReceivedBytes: received?.bytes,
        clientLastRead: received?.lastRead,
        clientHalfClosedState: halfClosed.state,
        middleClientSs: middle.client.find((s) => s.peer.endsWith(`:${PORT}`))?.state,
        middleServerSs: middle.server.find(
          (s) => s.state !== 'LISTEN' && s.local.endsWith(`:${PORT}`),
        )?.state,
        clientWalk: stateWalk(cli),
        serverWalk: stateWalk(srv),
        segments: segs
          .filter((p) => !p.tcp.syn)
          .slice(1)
          .map(
            (p) =>
              `${p.ip.src === CLIENT ? 'client' : 'server'}:${p.tcp.flags}${p.tcp.payloadLength ? `(${p.tcp.payloadLength})` : ''}`,
          ),
      },
    };
  },
  claims: [
    {
      id: 'eof',
      says: 'The server reads the whole request, then read() returns 0 with the socket in CLOSE-WAIT.',
      observe: (r) => [r.facts.serverRequestBytes, r.facts.serverEofState],
      expect: { equals: [12, 'CLOSE-WAIT'] },
    },
    {
      id: 'reply-sent',
      says: `write() after EOF succeeds: all ${REPLY} bytes are accepted.`,
      fact: 'serverReplyRet',
      expect: { equals: REPLY },
    },
    {
      id: 'fin-first',
      says: "On the wire the client's FIN comes before any byte of the reply.",
      fact: 'clientFinBeforeReply',
      expect: { equals: true },
    },
    {
      id: 'reply-after-fin',
      says: `All ${REPLY} reply bytes cross the wire after the client's FIN.`,
      fact: 'replyBytesAfterClientFin',
      expect: { equals: REPLY },
    },
    {
      id: 'acked',
      says: 'The half-closed client ACKs the reply: its last ACK covers every reply byte plus the server FIN.',
      fact: 'clientFinalRelAck',
      expect: { equals: REPLY + 2 },
    },
    {
      id: 'received',
      says: `The client reads all ${REPLY} bytes, then 0.`,
      observe: (r) => [r.facts.clientReceivedBytes, r.facts.clientLastRead],
      expect: { equals: [REPLY, 0] },
    },
    {
      id: 'half-closed',
      says: 'Between FIN and reply, the client is in FIN-WAIT-2 (TCP_INFO) and ss shows FIN-WAIT-2 facing CLOSE-WAIT.',
      observe: (r) => [
        r.facts.clientHalfClosedState,
        r.facts.middleClientSs,
        r.facts.middleServerSs,
      ],
      expect: { equals: ['FIN-WAIT-2', 'FIN-WAIT-2', 'CLOSE-WAIT'] },
    },
    {
      id: 'client-walk',
      says: 'The client walks ESTABLISHED → FIN-WAIT-2 (receiving) → TIME-WAIT; FIN-WAIT-1 lasts until the server ACKs the FIN.',
      observe: (r) => (r.facts.clientWalk as string[]).filter((s) => s !== 'FIN-WAIT-1'),
      expect: { equals: ['ESTAB', 'FIN-WAIT-2', 'TIME-WAIT'] },
    },
  ],
});
