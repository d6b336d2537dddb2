import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { acceptQueueScenario } from './_scenario.ts';

export default defineLab({
  title: 'tcp_abort_on_overflow=1 does not reset new SYNs',
  verifies:
    'Verify: with net.ipv4.tcp_abort_on_overflow=1 and a full accept queue, new SYNs are still dropped without an answer (no RST); the setting only changes what happens to a handshake-completing ACK that finds the queue full.',
  probes: ['probes/tcp-server.c', 'probes/tcp-client.c'],
  run: (ctx: LabContext) => acceptQueueScenario(ctx, 1),
  claims: [
    {
      id: 'setting',
      says: 'The server runs with tcp_abort_on_overflow = 1.',
      observe: (r) => r.sysctls['server:net.ipv4.tcp_abort_on_overflow'],
      expect: { equals: '1' },
    },
    {
      id: 'queued',
      says: 'Still 2 connections complete and wait in the accept queue.',
      fact: 'connected',
      expect: { equals: 2 },
    },
    {
      id: 'no-rst',
      says: 'No RST is sent: the extra SYNs get no answer at all.',
      fact: 'rstCount',
      expect: { equals: 0 },
    },
    {
      id: 'pending',
      says: 'The client is left retrying in SYN-SENT, not refused.',
      fact: 'clientStates',
      expect: { equals: ['ESTAB', 'ESTAB', 'SYN-SENT', 'SYN-SENT'] },
    },
    {
      id: 'retransmit-1s',
      says: 'The client retransmits each dropped SYN after about 1 s, as with the default.',
      fact: 'firstSynRetransmitS',
      expect: { between: [0.9, 1.5] },
    },
    {
      id: 'counters',
      says: 'The drops are counted as ListenOverflows just the same.',
      fact: 'listenOverflows',
      expect: { equals: 6 },
    },
  ],
});
