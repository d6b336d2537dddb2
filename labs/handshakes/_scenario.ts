/**
 * What the Handshakes labs share: the accept-queue scenario (a listener with backlog 1 that never
 * calls accept(); a client fills its queue, then starts two more connections), the accept-queue race (a
 * final ACK that reaches a full queue) and counter deltas.
 */
import { counters, tcpSockets } from '../_lib/observe.ts';
import { onPort, synRetransmitTimes } from '../_lib/packets.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import type { LabContext, Packet } from '../_lib/types.ts';
import { waitUntil } from '../_lib/wait.ts';

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
  // First the connections that fit (backlog + 1), and only once the server has queued them the
  // others: started all at once, a loaded machine can deliver every SYN before any handshake
  // completes, and then all of them get SYN-ACKs (the queue was empty when each arrived).
  const fillers = ctx.probe(client, 'probes/tcp-client.c', [SERVER, PORT, BACKLOG + 1, WATCH_MS]);
  const filled = await fillers.waitFor('done', WATCH_MS + 10_000);
  await waitUntil(
    'the accept queue to fill',
    async () => (await tcpSockets(server)).find((s) => s.state === 'LISTEN')?.recvQ === BACKLOG + 1,
  );
  const connector = ctx.probe(client, 'probes/tcp-client.c', [
    SERVER,
    PORT,
    CONNECTIONS - BACKLOG - 1,
    WATCH_MS,
    RETRANSMISSIONS,
  ]);
  const extra = await connector.waitFor('done', WATCH_MS + 10_000);
  const done = {
    connected: (filled.connected as number) + (extra.connected as number),
    pending: (filled.pending as number) + (extra.pending as number),
    failed: (filled.failed as number) + (extra.failed as number),
  };
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
      clientStates: [...fillers.events, ...connector.events]
        .filter((e) => e.event === 'connected' || e.event === 'pending')
        .map((e) => String(e.state))
        .sort(),
      droppedSyns: tcpPackets.filter((p) => p.tcp.syn && !p.tcp.ack).length - done.connected,
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

/** The race's listener port, and how many ordinary connections fill its queue of backlog 1. */
export const RACE_PORT = 5003;
export const RACE_FILLERS = 2;

/**
 * The accept-queue race shared by two labs: a client connects and is ESTABLISHED, but its final
 * ACK is held back by its own delayed-ACK timer (TCP_QUICKACK off, about 200 ms); two ordinary
 * connections complete meanwhile and fill the accept queue (backlog 1: two children fit), so the
 * held-back ACK reaches a full queue. The labs differ in net.ipv4.tcp_abort_on_overflow; with
 * `late`, one more connection sends its SYN into the full queue.
 */
export async function raceScenario(ctx: LabContext, abortOnOverflow: 0 | 1, late: boolean) {
  const { client, server, capture } = await clientServer(ctx, {
    server: { 'net.ipv4.tcp_abort_on_overflow': String(abortOnOverflow) },
  });
  // With abort 0 the server later accepts the two fillers, then the racer; with 1 only the two.
  const accepts = abortOnOverflow ? RACE_FILLERS : RACE_FILLERS + 1;
  const listener = ctx.probe(server, 'handshakes/race.c', [
    'server',
    SERVER,
    RACE_PORT,
    1,
    accepts,
  ]);
  await listener.waitFor('listening');
  const before = await counters(server);
  const racer = ctx.probe(client, 'handshakes/race.c', [
    'client',
    SERVER,
    RACE_PORT,
    RACE_FILLERS,
    late ? 1 : 0,
    // How long the racer waits to read: it returns as soon as the greeting (or an error) comes;
    // a loaded machine may complete the connection one SYN-ACK retransmission later, at 7 s.
    20_000,
  ]);
  const connected = await racer.waitFor((e) => e.event === 'connected' && e.role === 'racer');
  await racer.waitFor('filled');
  const racerPort = connected.sport as number;
  const fromRacer = (p: Packet) => p.tcp?.srcPort === racerPort && p.ip.src === CLIENT;
  const toRacer = (p: Packet) => p.tcp?.dstPort === racerPort && p.ip.dst === CLIENT;
  // The held-back final ACK: the racer's first segment after its SYN.
  await capture.waitForPacket((p) => fromRacer(p) && !p.tcp!.syn, 5000);
  const duringRace = await tcpSockets(server);
  return {
    client,
    server,
    capture,
    listener,
    racer,
    racerPort,
    fromRacer,
    toRacer,
    before,
    connected,
    racerRequest: duringRace.find((s) => s.peer.endsWith(`:${racerPort}`))?.state,
    listenRecvQ: duringRace.find((s) => s.state === 'LISTEN')?.recvQ,
  };
}

/** Counter deltas since `before`, for the names given. */
export function deltas(
  before: Record<string, number>,
  after: Record<string, number>,
  names: string[],
): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, (after[n] ?? 0) - (before[n] ?? 0)]));
}

/**
 * Addresses on the client's subnet that no host owns. The SYN-flood and SYN-ACK labs route them
 * from the server through the client (`ip route add SILENT_RANGE via CLIENT`): the client is no
 * router, so it drops whatever arrives for them without a word (no RST, no ICMP).
 */
export const SILENT_RANGE = '198.51.100.128/25';
/** The address 198.51.100.N, N in 128..254 (inside SILENT_RANGE). */
export const SPOOFED = (n: number) => `198.51.100.${n}`;

/** The SYN-flood labs' listener: port and backlog, and the flood. */
export const FLOOD_PORT = 5011;
export const FLOOD_BACKLOG = 4;
export const FLOOD_SYNS = 12;

/**
 * A small SYN flood against a listener with backlog 4: the client sends 12 SYNs from 12 addresses
 * it does not own (198.51.100.130–141), which the server routes back through the client, where
 * its SYN-ACKs are dropped. Returns once the server has answered or dropped every one of them (its
 * answer to the last spoofed address has been captured, or its drops counted), with the server's
 * sockets and its counters at that moment.
 */
export async function floodScenario(
  ctx: LabContext,
  syncookies: 0 | 1,
  clientSysctls: Record<string, string> = {},
) {
  const { client, server, capture } = await clientServer(ctx, {
    client: clientSysctls,
    server: { 'net.ipv4.tcp_syncookies': String(syncookies) },
  });
  await server.run(['ip', 'route', 'add', SILENT_RANGE, 'via', CLIENT]);
  const listener = ctx.probe(server, 'probes/tcp-server.c', [
    SERVER,
    FLOOD_PORT,
    FLOOD_BACKLOG,
    'accept',
  ]);
  await listener.waitFor('listening');
  const before = await counters(server);
  const flood = ctx.probe(client, 'handshakes/synsend.c', [
    'send',
    SPOOFED(130),
    FLOOD_SYNS,
    SERVER,
    FLOOD_PORT,
    40000,
  ]);
  await flood.waitFor('sent');
  // The server handles the SYNs in order: once the last one is answered (or, without cookies,
  // every one beyond the requests it can hold is counted as dropped), all of them are.
  if (syncookies) {
    const last = SPOOFED(130 + FLOOD_SYNS - 1);
    await capture.waitForPacket((p) => p.ip.dst === last && !!p.tcp?.syn && p.tcp.ack, 5000);
  } else {
    await waitUntil('the server to drop the flood beyond its queue', async () => {
      const dropped = (await counters(server)).TcpExtListenDrops - before.TcpExtListenDrops;
      return dropped >= FLOOD_SYNS - FLOOD_BACKLOG - 1;
    });
  }
  const sockets = await tcpSockets(server);
  const afterFlood = await counters(server);
  // One ladder column for the client and the addresses it sends from, one for the server.
  const hosts = [
    {
      name: 'client',
      addrs: [CLIENT, ...Array.from({ length: FLOOD_SYNS }, (_, i) => SPOOFED(130 + i))],
    },
    { name: 'server', addrs: [SERVER] },
  ];
  return { client, server, capture, listener, before, afterFlood, sockets, hosts };
}
