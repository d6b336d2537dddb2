/**
 * The accept-queue scenario shared by two labs: a listener with backlog 1 that never calls
 * accept(), and a client that starts four connections at once. The labs differ only in
 * net.ipv4.tcp_abort_on_overflow on the server.
 */
import { counters, tcpSockets } from '../_lib/observe.ts';
import { onPort, synRetransmitTimes } from '../_lib/packets.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';
import type { LabContext } from '../_lib/types.ts';

export const PORT = 5002;
export const BACKLOG = 1;
export const CONNECTIONS = 4;
/** The client watches until every dropped connection has retransmitted its SYN this often. */
export const RETRANSMISSIONS = 2;
/** An upper bound only: the watch normally ends at the second retransmission, about 2 s in. */
export const WATCH_MS = 8000;

export async function acceptQueueScenario(ctx: LabContext, abortOnOverflow: 0 | 1) {
  // Pinned to the default so the SYN retransmission times do not follow the host (≥ 6.5 only).
  const linear = { 'net.ipv4.tcp_syn_linear_timeouts': '4' };
  const { client, server, capture } = await clientServer(ctx, {
    client: linear,
    server: { 'net.ipv4.tcp_abort_on_overflow': String(abortOnOverflow), ...linear },
  });

  const listener = ctx.probe(server, 'probes/tcp-server.c', [SERVER, PORT, BACKLOG, 'hold']);
  await listener.waitFor('listening');
  const connector = ctx.probe(client, 'probes/tcp-client.c', [
    SERVER,
    PORT,
    CONNECTIONS,
    WATCH_MS,
    RETRANSMISSIONS,
  ]);
  const done = await connector.waitFor('done', WATCH_MS + 10_000);
  // The probe closes its pending connections right after "done": no SYN leaves after that, so
  // the counters and the capture agree however slowly the rest of the lab runs.
  await connector.waitFor('abandoned');
  const serverSockets = await tcpSockets(server);
  const packets = await capture.stop();
  const serverCounters = await counters(server);

  const listenerRow = serverSockets.find((s) => s.state === 'LISTEN');
  const tcpPackets = onPort(packets, PORT);
  const retransmits = synRetransmitTimes(packets);
  const firstRetransmits = Object.values(retransmits).map((times) => times[0]);
  const secondGaps = Object.values(retransmits)
    .filter((t) => t.length > 1)
    .map((t) => Math.round((t[1] - t[0]) * 1000) / 1000);
  return {
    // Two SYN retransmissions of 1 s each (linear timeouts).
    inherentWaitS: RETRANSMISSIONS,
    facts: {
      connected: done.connected,
      pending: done.pending,
      failed: done.failed,
      listenRecvQ: listenerRow?.recvQ,
      listenSendQ: listenerRow?.sendQ,
      serverEstablished: serverSockets.filter((s) => s.state === 'ESTAB').length,
      // Each connection's TCP_INFO state as the probe reported it when the watch ended.
      clientStates: connector.events
        .filter((e) => e.event === 'connected' || e.event === 'pending')
        .map((e) => String(e.state))
        .sort(),
      droppedSyns:
        tcpPackets.filter((p) => p.tcp.syn && !p.tcp.ack).length - (done.connected as number),
      rstCount: tcpPackets.filter((p) => p.tcp.rst).length,
      synAckCount: tcpPackets.filter((p) => p.tcp.syn && p.tcp.ack).length,
      synRetransmitTimes: retransmits,
      firstSynRetransmitS: Math.min(...firstRetransmits),
      firstSynRetransmitMaxS: Math.max(...firstRetransmits),
      secondSynRetransmitGapS: secondGaps.length ? Math.min(...secondGaps) : undefined,
      listenOverflows: serverCounters.TcpExtListenOverflows,
      listenDrops: serverCounters.TcpExtListenDrops,
      syncookiesSent: serverCounters.TcpExtSyncookiesSent,
    },
  };
}
