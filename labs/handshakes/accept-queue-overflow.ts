import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { acceptQueueScenario, BACKLOG, CONNECTIONS } from './_scenario.ts';

export default defineLab({
  title: 'A full accept queue drops SYNs',
  verifies: `Verify: listen() with backlog ${BACKLOG} and no accept(): ${BACKLOG + 1} of ${CONNECTIONS} connections complete and wait in the accept queue; the other SYNs are dropped without an answer and retransmitted by the client; the listener's counters record the overflow.`,
  takeaway:
    'The listen() backlog bounds the queue of completed connections waiting for accept(), and backlog + 1 of them fit. Further SYNs are dropped without an answer, so clients retransmit and wait while the server only counts ListenOverflows.',
  probes: ['probes/tcp-server.c', 'probes/tcp-client.c'],
  run: (ctx: LabContext) => acceptQueueScenario(ctx, 0),
  claims: [
    {
      id: 'queued',
      says: 'backlog + 1 = 2 connections complete although nobody calls accept().',
      fact: 'connected',
      expect: { equals: 2 },
    },
    {
      id: 'recvq',
      says: "ss shows the listener's accept queue length as Recv-Q: 2.",
      fact: 'listenRecvQ',
      expect: { equals: 2 },
    },
    {
      id: 'sendq',
      says: "ss shows the listener's backlog as Send-Q: 1.",
      fact: 'listenSendQ',
      expect: { equals: 1 },
    },
    {
      id: 'pending',
      says: 'The other 2 connections stay in SYN-SENT on the client (TCP_INFO).',
      fact: 'clientStates',
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
      fact: 'firstSynRetransmitS',
      expect: { between: [0.9, 1.5] },
    },
    {
      id: 'retransmit-linear',
      says: 'The second retransmission follows about 1 s later (linear SYN timeouts, Linux 6.5+).',
      fact: 'secondSynRetransmitGapS',
      expect: { between: [0.9, 1.5] },
      kernel: {
        since: '6.5',
        before: { between: [1.8, 2.8] },
        change:
          'before tcp_syn_linear_timeouts (Linux 6.5) tcp_retransmit_timer() (net/ipv4/tcp_timer.c) doubles every SYN timeout: the second retransmission follows about 2 s after the first',
      },
    },
    {
      id: 'dropped',
      says: 'The capture shows 6 dropped SYNs: 2 connections × (1 SYN + 2 retransmissions).',
      fact: 'droppedSyns',
      expect: { equals: 6 },
    },
    {
      id: 'counters',
      says: 'TcpExtListenOverflows counts each of those drops, retransmissions included.',
      fact: 'listenOverflows',
      expect: { equals: 6 },
    },
  ],
});
