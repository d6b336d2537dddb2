import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5110;
const BACKLOG = 2;
const CONNECTIONS = 32;
/** How long the client gives each connect() before starting the next: far below the 1 s SYN RTO. */
const WAIT_MS = 20;

export default defineLab({
  title: 'SO_REUSEPORT: a stalled listener keeps getting its share',
  verifies:
    'Verify: of two SO_REUSEPORT listeners (backlog 2), one accepting everything and one never calling accept(), the stalled one still receives its share of new connections: they fill its accept queue (backlog + 1 = 3), and the SYNs hashed to it after that are dropped (ListenOverflows) and wait in SYN-SENT, instead of going to the idle listener.',
  takeaway:
    "SO_REUSEPORT assigns connections by hash, not by who is ready: a listener that stops accepting keeps getting its share, and once its accept queue is full those clients' SYNs are dropped while the other listener sits idle.",
  probes: ['socket-options/reuse.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const group = ctx.probe(server, 'socket-options/reuse.c', ['stalled', SERVER, PORT, BACKLOG]);
    await group.waitFor('listening');
    const before = await counters(server);
    const clients = ctx.probe(client, 'socket-options/reuse.c', [
      'attempt',
      SERVER,
      PORT,
      CONNECTIONS,
      WAIT_MS,
    ]);
    const attempted = await clients.waitFor('attempted', 15_000);
    // Read the counters before the first SYN retransmission (1 s after each dropped SYN) adds more.
    const after = await counters(server);
    group.signal('SIGUSR1');
    const queues = await group.waitFor('queues');
    await capture.stop();
    return {
      facts: {
        connections: CONNECTIONS,
        backlog: BACKLOG,
        acceptedByActive: queues.acceptedA,
        activeQueue: queues.queueA,
        stalledQueue: queues.queueB,
        stalledBacklog: queues.backlogB,
        clientsEstablished: attempted.established,
        clientsInSynSent: attempted.synSent,
        attemptsTookMs: attempted.elapsedMs,
        listenOverflows: after.TcpExtListenOverflows - before.TcpExtListenOverflows,
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
      says: 'Clients whose SYN was hashed to the stalled listener after its queue filled are still in SYN-SENT.',
      fact: 'clientsInSynSent',
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
      says: 'Each of those SYNs was dropped by the full listener: TcpExtListenOverflows rose by exactly the number of clients in SYN-SENT.',
      observe: (r) =>
        r.facts.listenOverflows === r.facts.clientsInSynSent
          ? r.facts.listenOverflows
          : `${r.facts.listenOverflows} ≠ ${r.facts.clientsInSynSent}`,
      expect: { atLeast: 1 },
      kernelNote:
        'sampled before the first SYN retransmission (1 s); a retransmitted SYN meets the same full listener and counts again',
    },
  ],
});
