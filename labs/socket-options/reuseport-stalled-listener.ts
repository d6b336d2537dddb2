import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5110;
const BACKLOG = 2;
/** The accepting listener's backlog: room for every connection, so a slow accept loop never drops one. */
const ACTIVE_BACKLOG = 64;
const CONNECTIONS = 32;
/** How long the client gives each connect() before starting the next: far below the 1 s SYN RTO. */
const WAIT_MS = 20;

export default defineLab({
  title: 'SO_REUSEPORT: a stalled listener keeps getting its share',
  verifies:
    'Verify: of two SO_REUSEPORT listeners, one accepting everything (backlog 64) and one never calling accept() (backlog 2), the stalled one still receives its share of new connections: they fill its accept queue (backlog + 1 = 3), and the SYNs hashed to it after that are dropped (ListenOverflows, retransmissions included) and their clients wait in SYN-SENT, instead of going to the idle listener.',
  takeaway:
    "SO_REUSEPORT assigns connections by hash, not by who is ready: a listener that stops accepting keeps getting its share, and once its accept queue is full those clients' SYNs are dropped while the other listener sits idle.",
  probes: ['socket-options/reuse.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const group = ctx.probe(server, 'socket-options/reuse.c', [
      'stalled',
      SERVER,
      PORT,
      BACKLOG,
      ACTIVE_BACKLOG,
    ]);
    await group.waitFor('listening');
    const before = await counters(server);
    const clients = ctx.probe(client, 'socket-options/reuse.c', [
      'attempt',
      SERVER,
      PORT,
      CONNECTIONS,
      WAIT_MS,
    ]);
    // The client reports once every connection has settled (ESTABLISHED, or SYN-SENT with its SYN
    // retransmitted: dropped, not late), then closes the SYN-SENT ones: no SYN leaves after
    // "abandoned", so the counter and the capture agree however slowly the rest runs.
    const attempted = await clients.waitFor('attempted', 35_000);
    const abandoned = await clients.waitFor('abandoned');
    const after = await counters(server);
    group.signal('SIGUSR1');
    const queues = await group.waitFor('queues');
    const packets = await capture.stop();

    // Every SYN the server left unanswered: one followed by another SYN from the same port
    // before any SYN-ACK, or never answered at all.
    const waiting = new Map<number, boolean>();
    let droppedSyns = 0;
    let synRetransmissions = 0;
    const seen = new Set<number>();
    for (const p of packets) {
      const tcp = p.tcp;
      if (!tcp?.syn) continue;
      if (!tcp.ack && tcp.dstPort === PORT) {
        if (waiting.get(tcp.srcPort)) droppedSyns++;
        if (seen.has(tcp.srcPort)) synRetransmissions++;
        seen.add(tcp.srcPort);
        waiting.set(tcp.srcPort, true);
      } else if (tcp.ack && tcp.srcPort === PORT) waiting.set(tcp.dstPort, false);
    }
    const neverAnswered = [...waiting.values()].filter(Boolean).length;
    droppedSyns += neverAnswered;
    return {
      // Each dropped connection's first SYN retransmission, 1 s after its SYN.
      inherentWaitS: 1,
      facts: {
        connections: CONNECTIONS,
        backlog: BACKLOG,
        activeBacklog: queues.backlogA,
        acceptedByActive: queues.acceptedA,
        activeQueue: queues.queueA,
        stalledQueue: queues.queueB,
        stalledBacklog: queues.backlogB,
        clientsEstablished: attempted.established,
        clientsInSynSent: attempted.synSent,
        attemptsTookMs: attempted.elapsedMs,
        settledAfterMs: attempted.settledMs,
        abandoned: abandoned.closed,
        listenOverflows: after.TcpExtListenOverflows - before.TcpExtListenOverflows,
        droppedSyns,
        synRetransmissions,
        neverAnswered,
      },
    };
  },
  claims: [
    {
      id: 'stalled-queue-full',
      says: `The listener that never calls accept() holds a full accept queue: backlog ${BACKLOG} + 1 = ${BACKLOG + 1} connections (TCP_INFO tcpi_unacked on the listener).`,
      observe: (r) => [r.facts.stalledQueue, r.facts.stalledBacklog],
      expect: { equals: [BACKLOG + 1, BACKLOG] },
    },
    {
      id: 'active-idle',
      says: 'The other listener has taken every connection the hash gave it and waits with an empty queue.',
      fact: 'activeQueue',
      expect: { equals: 0 },
    },
    {
      id: 'stuck',
      says: 'Clients whose SYN was hashed to the stalled listener after its queue filled are still in SYN-SENT after their first SYN retransmission.',
      fact: 'clientsInSynSent',
      expect: { atLeast: 1 },
    },
    {
      id: 'never-answered',
      says: 'They are exactly the clients the capture shows without any SYN-ACK:',
      observe: (r) =>
        r.facts.neverAnswered === r.facts.clientsInSynSent
          ? r.facts.neverAnswered
          : `${r.facts.neverAnswered} never answered ≠ ${r.facts.clientsInSynSent} in SYN-SENT`,
      expect: { atLeast: 1 },
    },
    {
      id: 'not-redirected',
      says: `None of them went to the idle listener: accepted by it + queued on the stalled one + stuck in SYN-SENT = all ${CONNECTIONS}.`,
      observe: (r) =>
        Number(r.facts.acceptedByActive) +
        Number(r.facts.stalledQueue) +
        Number(r.facts.clientsInSynSent),
      expect: { equals: CONNECTIONS },
    },
    {
      id: 'overflows',
      says: "Every SYN of theirs was dropped by the full listener and counted: TcpExtListenOverflows rose by exactly the unanswered SYNs in the capture, each client's first SYN and its retransmissions (at least 2 per client, since the client waited for a retransmission).",
      observe: (r) =>
        r.facts.listenOverflows === r.facts.droppedSyns
          ? r.facts.listenOverflows
          : `${r.facts.listenOverflows} counted ≠ ${r.facts.droppedSyns} unanswered SYNs`,
      expect: { atLeast: 2 },
      kernelNote:
        'how many retransmissions there are depends on how long the client took to settle (1 s after the last dropped SYN on a fast machine); the counter and the capture agree because the client closes its SYN-SENT sockets before either is read',
    },
  ],
});
