import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { onPort } from '../_lib/packets.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { nextStep } from './_scenario.ts';

const PORT = 5035;

export default defineLab({
  title: 'shutdown(SHUT_RD): nothing on the wire, and data still arrives',
  verifies:
    'Verify: the server calls shutdown(SHUT_RD) with 6 bytes queued: nothing is sent, poll() reports POLLIN | POLLRDHUP although the peer sent no FIN, recv() returns the 6 queued bytes and then 0 at once. The client then sends 14 more bytes: the server acknowledges and queues them, recv() returns them and then 0 again. The server can still send, and its reply reaches the client.',
  takeaway:
    'shutdown(SHUT_RD) sends nothing and does not stop the peer: recv() returns what is queued and then 0, and data that arrives later is still acknowledged, queued and readable.',
  probes: ['teardown/shutdown-read.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const srv = ctx.probe(server, 'teardown/shutdown-read.c', ['server', SERVER, PORT]);
    await srv.waitFor('listening');
    const cli = ctx.probe(client, 'teardown/shutdown-read.c', ['client', SERVER, PORT]);
    const shut = await srv.waitFor('shut');
    await srv.waitFor((e) => e.event === 'recv' && e.phase === 'after-shutdown' && e.n === 2);
    await nextStep(cli);
    const queued = await srv.waitFor('queued');
    await srv.waitFor('replied');
    const reply = await cli.waitFor('reply');
    await cli.waitFor('done');
    const packets = await capture.stop();

    const reads = (phase: string) =>
      srv.events.filter((e) => e.event === 'recv' && e.phase === phase).map((e) => e.ret);
    const segs = onPort(packets, PORT)
      .filter((p) => !p.tcp.syn)
      .slice(1);
    const label = (p: (typeof segs)[number]) =>
      `${p.ip.src === CLIENT ? 'client' : 'server'}:${p.tcp.flags}${p.tcp.payloadLength ? `(${p.tcp.payloadLength})` : ''}`;
    const later = segs.findIndex((p) => p.ip.src === CLIENT && p.tcp.payloadLength === 14);
    const firstAck = segs.findIndex((p) => p.ip.src === SERVER && p.tcp.relAck === 7);
    return {
      facts: {
        unreadAtShutdown: shut.unread,
        stateAfterShutdown: shut.state,
        pollAfterShutdown: [
          shut.pollin && 'POLLIN',
          shut.pollout && 'POLLOUT',
          shut.pollrdhup && 'POLLRDHUP',
          shut.pollhup && 'POLLHUP',
        ].filter(Boolean),
        readsAfterShutdown: reads('after-shutdown'),
        // Everything the server sent between the ACK of "before" and the client's later data:
        // shutdown(SHUT_RD) happened in that interval.
        serverSegmentsAtShutdown:
          firstAck >= 0 && later > firstAck
            ? segs
                .slice(firstAck + 1, later)
                .filter((p) => p.ip.src === SERVER)
                .map(label)
            : undefined,
        laterDataAck: segs.slice(later + 1).find((p) => p.ip.src === SERVER)?.tcp.relAck,
        queuedAfterShutdown: queued.unread,
        readsOfLaterData: reads('later-data'),
        replyBytesAtClient: reply.bytes,
        segments: segs.map(label),
      },
    };
  },
  claims: [
    {
      id: 'silent',
      says: 'shutdown(SHUT_RD) sends nothing: no segment from the server between the ACK of the first 6 bytes and the client’s next data.',
      fact: 'serverSegmentsAtShutdown',
      expect: { equals: [] },
    },
    {
      id: 'state',
      says: 'The connection stays ESTABLISHED (TCP_INFO): no TCP state records a shut-down receive side.',
      fact: 'stateAfterShutdown',
      expect: { equals: 'ESTAB' },
    },
    {
      id: 'poll',
      says: 'poll() reports POLLIN and POLLRDHUP (next to POLLOUT) at once, as if a FIN had arrived; none had.',
      fact: 'pollAfterShutdown',
      expect: { equals: ['POLLIN', 'POLLOUT', 'POLLRDHUP'] },
    },
    {
      id: 'queued-first',
      says: 'recv() first returns the 6 bytes that were queued, then 0 at once.',
      fact: 'readsAfterShutdown',
      expect: { equals: [6, 0] },
    },
    {
      id: 'later-acked',
      says: 'The 14 bytes the client sends afterwards are acknowledged: the server’s next segment acknowledges relative 21 = 1 + 6 + 14…',
      fact: 'laterDataAck',
      expect: { equals: 21 },
    },
    {
      id: 'later-queued',
      says: '…queued (FIONREAD 14)…',
      fact: 'queuedAfterShutdown',
      expect: { equals: 14 },
    },
    {
      id: 'later-readable',
      says: '…and readable: recv() returns 14, and only then 0 again.',
      fact: 'readsOfLaterData',
      expect: { equals: [14, 0] },
    },
    {
      id: 'can-send',
      says: 'Sending is untouched: the client reads the server’s 5-byte reply.',
      fact: 'replyBytesAtClient',
      expect: { equals: 5 },
    },
  ],
});
