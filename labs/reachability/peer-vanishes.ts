import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters, tcpSockets } from '../_lib/observe.ts';
import { onPort, retransmissions, round3 } from '../_lib/packets.ts';
import { CLIENT, FAR_SERVER, routed } from '../_lib/topology.ts';

const WRITER_PORT = 5704;
const IDLE_PORT = 5705;
const RETRIES2 = 2;

export default defineLab({
  title: 'A peer that vanishes mid-connection',
  verifies:
    'Verify: two established connections to a server that then vanishes from the path (blackhole route in the router); the one that writes retransmits its data at doubling intervals and, with tcp_retries2 = 2, its read() fails with ETIMEDOUT ("Connection timed out") a few seconds later; the idle one stays ESTABLISHED and learns nothing.',
  takeaway:
    "When the peer host vanishes, a connection that sends data retransmits with backoff, fails with ETIMEDOUT once tcp_retries2's time budget is spent, then with EPIPE; an idle connection to the same peer learns nothing and stays ESTABLISHED.",
  probes: ['reachability/reach.c', 'probes/tcp-server.c', 'probes/tcp-client.c'],
  run: async (ctx: LabContext) => {
    const { client, router, server, capture } = await routed(ctx, {
      client: { 'net.ipv4.tcp_retries2': String(RETRIES2) },
    });
    const l1 = ctx.probe(server, 'probes/tcp-server.c', ['0.0.0.0', WRITER_PORT, 8, 'accept']);
    const l2 = ctx.probe(server, 'probes/tcp-server.c', ['0.0.0.0', IDLE_PORT, 8, 'accept']);
    await l1.waitFor('listening');
    await l2.waitFor('listening');
    const idle = ctx.probe(client, 'probes/tcp-client.c', [FAR_SERVER, IDLE_PORT, 1, 5000]);
    await idle.waitFor('connected');
    const writer = ctx.probe(client, 'reachability/reach.c', ['writer', FAR_SERVER, WRITER_PORT]);
    await writer.waitFor('connected');
    // The server vanishes from the path: everything towards it is dropped without a word.
    await router.run(['ip', 'route', 'add', 'blackhole', FAR_SERVER]);
    ctx.note(router, 'blackhole', { route: FAR_SERVER });
    writer.signal('SIGUSR1');
    const wrote = await writer.waitFor('wrote');
    const error = await writer.waitFor('error', 60_000);
    const after = await writer.waitFor('write-after');
    const sockets = await tcpSockets(client);
    const packets = await capture.stop();
    const clientCounters = await counters(client);
    const again = retransmissions(onPort(packets, WRITER_PORT)).filter(
      (p) => p.tcp.payloadLength > 0,
    );
    const first = onPort(packets, WRITER_PORT).find(
      (p) => p.ip.src === CLIENT && p.tcp.payloadLength > 0,
    );
    const times = first ? [first.t, ...again.map((p) => p.t)] : [];
    const gaps = times.slice(1).map((t, i) => round3(t - times[i]));
    // Gap 0 is write → loss probe; gap 1 is probe → first RTO expiry; from there the RTO doubles.
    const rtoGaps = gaps.slice(1);
    const ratios = rtoGaps.slice(1).map((g, i) => round3(g / rtoGaps[i]));
    return {
      // The loss probe and the backed-off RTOs until tcp_retries2 = 2 runs out: about 3.3 s.
      inherentWaitS: 3.3,
      facts: {
        writeReturned: wrote.ret,
        retransmissions: again.length,
        rtoRetransmissions: again.length - (clientCounters.TcpExtTCPLossProbes ?? 0),
        retransmitGapsS: gaps,
        rtoRatios: ratios,
        minRtoRatio: ratios.length ? Math.min(...ratios) : undefined,
        lossProbes: clientCounters.TcpExtTCPLossProbes,
        packetsToClientAfterBlackhole: first
          ? packets.filter((p) => p.ip.dst === CLIENT && p.t > first.t).length
          : undefined,
        outcome: `${error.errno} ${error.message}`,
        message: error.message,
        failedAfterS: error.afterS,
        totalRetrans: error.totalRetrans,
        writeAfter: after.errno,
        writeAfterMessage: after.message,
        idleState: sockets.find((s) => s.peer.endsWith(`:${IDLE_PORT}`))?.state,
      },
    };
  },
  claims: [
    {
      id: 'write-ok',
      says: 'write() succeeds: the bytes only go into the send buffer.',
      fact: 'writeReturned',
      expect: { equals: 100 },
    },
    {
      id: 'tlp',
      says: 'The first resend leaves about 200 ms after the write as a tail loss probe (one TcpExtTCPLossProbes), before any retransmission timeout.',
      fact: 'lossProbes',
      expect: { equals: 1 },
    },
    {
      id: 'retransmits',
      says: 'Then the retransmission timer resends the segment several times; nothing comes back.',
      fact: 'rtoRetransmissions',
      expect: { between: [2, 4] },
    },
    {
      id: 'backoff',
      says: 'Each timeout is about twice the one before (RTO backoff, RFC 6298 §5.5).',
      fact: 'minRtoRatio',
      expect: { between: [1.6, 2.4] },
    },
    {
      id: 'errno',
      says: 'read() then fails with ETIMEDOUT, "Connection timed out".',
      fact: 'outcome',
      expect: { equals: 'ETIMEDOUT Connection timed out' },
    },
    {
      id: 'when',
      says: 'With tcp_retries2 = 2 it gives up within a few seconds; the default of 15 takes about 15 minutes.',
      fact: 'failedAfterS',
      expect: { between: [1.5, 5] },
    },
    {
      id: 'then-epipe',
      says: 'The connection is gone: a write() after that fails with EPIPE.',
      fact: 'writeAfter',
      expect: { equals: 'EPIPE' },
    },
    {
      id: 'idle-unaware',
      says: 'The idle connection on the same path is still ESTABLISHED: without data or keepalive, nothing tells it.',
      fact: 'idleState',
      expect: { equals: 'ESTAB' },
    },
  ],
});
