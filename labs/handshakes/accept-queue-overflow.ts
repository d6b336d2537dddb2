/**
 * Verify: listen(fd, 1) without accept() → 2 connections complete and wait in the accept queue
 * (ss: Recv-Q 2, Send-Q 1); later SYNs are dropped silently and the client retransmits them
 * (≈1 s, then ≈1 s more on ≥ 6.5); ListenOverflows counts the drops.
 */
import { defineLab } from '../_lib/define.ts';
import { acceptQueueScenario, BACKLOG, CONNECTIONS } from './accept-queue.ts';

export default defineLab({
  id: 'handshakes/accept-queue-overflow',
  title: 'A full accept queue drops SYNs',
  verifies: `Verify: listen() with backlog ${BACKLOG} and no accept(): ${BACKLOG + 1} of ${CONNECTIONS} connections complete and wait in the accept queue; the other SYNs are dropped without an answer and retransmitted by the client; the listener's counters record the overflow.`,
  probes: ['handshakes/server.c', 'handshakes/client.c'],
  claims: [
    {
      id: 'queued',
      says: 'backlog + 1 = 2 connections complete although nobody calls accept().',
      observe: (r) => r.facts.connected,
      expect: { equals: 2 },
    },
    {
      id: 'recvq',
      says: "ss shows the listener's accept queue length as Recv-Q: 2.",
      observe: (r) => r.facts.listenRecvQ,
      expect: { equals: 2 },
    },
    {
      id: 'sendq',
      says: "ss shows the listener's backlog as Send-Q: 1.",
      observe: (r) => r.facts.listenSendQ,
      expect: { equals: 1 },
    },
    {
      id: 'pending',
      says: 'The other 2 connections stay in SYN-SENT on the client (TCP_INFO).',
      observe: (r) => r.facts.clientStates,
      expect: { equals: ['ESTAB', 'ESTAB', 'SYN-SENT', 'SYN-SENT'] },
    },
    {
      id: 'no-rst',
      says: 'The server answers the extra SYNs with nothing: no RST, no SYN-ACK.',
      observe: (r) => [r.facts.rstCount, r.facts.synAckCount],
      expect: { equals: [0, 2] },
    },
    {
      id: 'retransmit-1s',
      says: 'The client retransmits each dropped SYN after the initial RTO of about 1 s.',
      observe: (r) => r.facts.firstSynRetransmitS,
      expect: { between: [0.9, 1.5] },
    },
    {
      id: 'retransmit-linear',
      says: 'The second retransmission follows about 1 s later (linear SYN timeouts).',
      observe: (r) => r.facts.secondSynRetransmitGapS,
      expect: { between: [0.9, 1.5] },
      kernelNote:
        'Linux ≥ 6.5 with tcp_syn_linear_timeouts=4; older kernels back off exponentially and wait about 2 s here',
    },
    {
      id: 'dropped',
      says: 'The capture shows 6 dropped SYNs: 2 connections × (1 SYN + 2 retransmissions).',
      observe: (r) => r.facts.droppedSyns,
      expect: { equals: 6 },
    },
    {
      id: 'counters',
      says: 'TcpExtListenOverflows counts each of those drops, retransmissions included.',
      observe: (r) => r.facts.listenOverflows,
      expect: { equals: 6 },
    },
  ],
  run: (ctx) => acceptQueueScenario(ctx, 0),
});
