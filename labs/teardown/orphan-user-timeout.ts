import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { onPort, round3 } from '../_lib/packets.ts';
import { CLIENT, FAR_SERVER, routed } from '../_lib/topology.ts';
import { afterClose, nextStep, retransCount, waitForState } from './_scenario.ts';

const PORT = 5112;
const USER_TIMEOUT_MS = 1000;

export default defineLab({
  title: 'TCP_USER_TIMEOUT on an orphan, and what the peer sees',
  verifies: `Verify: a client sets TCP_USER_TIMEOUT = ${USER_TIMEOUT_MS} ms, writes 10 bytes and closes while a router silently drops everything for the server: the orphan retransmits and is dropped about ${USER_TIMEOUT_MS / 1000} s after its first retransmission, long before tcp_orphan_retries would end it, without RST. The server never received the bytes or the FIN: it is still ESTABLISHED, and once the path is back its first write is answered with RST (read() fails ECONNRESET).`,
  takeaway:
    'TCP_USER_TIMEOUT set before close() still bounds the orphan, which is dropped silently once the timeout has passed; the peer, which never got the data or the FIN, learns of it only from the RST its next write draws.',
  probes: ['teardown/orphan.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, router, server, capture } = await routed(ctx);
    const srv = ctx.probe(server, 'teardown/orphan.c', ['server', FAR_SERVER, PORT]);
    await srv.waitFor('listening');
    const cli = ctx.probe(client, 'teardown/orphan.c', [
      'client',
      FAR_SERVER,
      PORT,
      USER_TIMEOUT_MS,
    ]);
    await srv.waitFor('accepted');
    await cli.waitFor('connected');
    await router.run(['ip', 'route', 'add', 'blackhole', FAR_SERVER]);
    ctx.note(router, 'blackhole', { route: FAR_SERVER });
    await nextStep(cli);
    const closed = await cli.waitFor('closed');
    const gone = await waitForState(cli, 'GONE', 20_000);
    const clientCounters = await counters(client);
    await router.run(['ip', 'route', 'del', 'blackhole', FAR_SERVER]);
    ctx.note(router, 'path-restored', { route: FAR_SERVER });
    await nextStep(srv);
    const view = await srv.waitFor('peer-view');
    const wrote = await srv.waitFor('wrote');
    const read = await srv.waitFor('read', 10_000);
    const packets = await capture.stop();

    // What the orphan sent: everything up to the server's write after the path came back.
    const serverData = packets.findIndex(
      (p) => p.ip.src === FAR_SERVER && (p.tcp?.payloadLength ?? 0) > 0,
    );
    const sent = afterClose(serverData < 0 ? packets : packets.slice(0, serverData), PORT);
    const firstRetransmission = cli.events.find(
      (e) => e.event === 'state' && Number(e.retrans) === 1,
    );
    const last = onPort(packets, PORT).slice(-2);
    return {
      inherentWaitS: USER_TIMEOUT_MS / 1000,
      facts: {
        stateAfterClose: closed.state,
        retransmissions: retransCount(cli),
        segmentsAfterClose: sent.labels,
        sendTimesS: sent.times,
        orphanLifetimeS: round3(gone.t - closed.t),
        goneAfterFirstRetransmissionS: firstRetransmission
          ? round3(gone.t - firstRetransmission.t)
          : undefined,
        clientRstsWhileOrphan: sent.rsts,
        abortOnTimeout: clientCounters.TcpExtTCPAbortOnTimeout,
        serverStateAfterwards: view.state,
        serverUnreadBytes: view.unread,
        serverWriteRet: wrote.ret,
        lastSegments: last.map(
          (p) => `${p.ip.src === CLIENT ? 'client' : 'server'}:${p.tcp.flags}`,
        ),
        serverReadRet: read.ret,
        serverReadErrno: read.errno,
      },
    };
  },
  claims: [
    {
      id: 'orphan',
      says: 'Right after close() the socket is an orphan in FIN-WAIT-1.',
      fact: 'stateAfterClose',
      expect: { equals: 'FIN-WAIT-1' },
    },
    {
      id: 'user-timeout',
      says: `TCP_USER_TIMEOUT, set before close(), still bounds the orphan: the kernel drops it ${USER_TIMEOUT_MS} ms after its first retransmission, give or take a timer tick (s).`,
      fact: 'goneAfterFirstRetransmissionS',
      expect: { between: [USER_TIMEOUT_MS / 1000 - 0.05, USER_TIMEOUT_MS / 1000 + 0.3] },
      kernelNote:
        'tcp_clamp_rto_to_user_timeout() shortens the last backoff so the timer fires when the user timeout is due',
    },
    {
      id: 'few-retransmissions',
      says: 'By then it has retransmitted twice (sock_diag), where tcp_orphan_retries = 0 alone would allow 8 and over 100 s.',
      fact: 'retransmissions',
      expect: { equals: 2 },
    },
    {
      id: 'no-rst',
      says: 'The data is dropped silently: no RST on the wire while the orphan lived, TCPAbortOnTimeout in nstat.',
      observe: (r) => [r.facts.clientRstsWhileOrphan, r.facts.abortOnTimeout],
      expect: { equals: [0, 1] },
    },
    {
      id: 'peer-unaware',
      says: 'The server never got the 10 bytes or the FIN: it is still ESTABLISHED with nothing to read.',
      observe: (r) => [r.facts.serverStateAfterwards, r.facts.serverUnreadBytes],
      expect: { equals: ['ESTAB', 0] },
    },
    {
      id: 'peer-write-rst',
      says: "Once the path is back, the server's write is accepted and answered with RST by the client, which has no socket for it…",
      observe: (r) => [r.facts.serverWriteRet, r.facts.lastSegments],
      expect: { equals: [4, ['server:P.', 'client:R']] },
    },
    {
      id: 'peer-econnreset',
      says: "…so the server's next read() fails with ECONNRESET: the first sign of the lost data it gets.",
      observe: (r) => [r.facts.serverReadRet, r.facts.serverReadErrno],
      expect: { equals: [-1, 'ECONNRESET'] },
    },
  ],
});
