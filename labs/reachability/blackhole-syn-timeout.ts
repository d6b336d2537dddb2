/**
 * Verify: a router that silently drops everything for the server (`blackhole` route) → the SYN
 * is retransmitted tcp_syn_retries = 2 times at doubling intervals (linear timeouts off), no
 * answer of any kind arrives, and connect() fails with ETIMEDOUT after about 7 s.
 */
import { defineLab } from '../_lib/define.ts';
import { silentPath } from './silent-path.ts';

const PORT = 5703;

export default defineLab({
  id: 'reachability/blackhole-syn-timeout',
  title: 'A path that drops SYNs: retransmissions, then ETIMEDOUT',
  verifies:
    'Verify: with `ip route add blackhole 203.0.113.1` in the router, nothing ever answers the client\'s SYN; with tcp_syn_retries = 2 and tcp_syn_linear_timeouts = 0 it is sent 3 times, at 0, 1 and 3 s, and connect() fails with ETIMEDOUT ("Connection timed out") about 7 s after it started.',
  probes: ['reachability/reach.c', 'handshakes/server.c'],
  claims: [
    {
      id: 'syns',
      says: 'The SYN leaves three times: the original and tcp_syn_retries = 2 retransmissions.',
      observe: (r) => r.facts.syns,
      expect: { equals: 3 },
    },
    {
      id: 'first-retransmit',
      says: 'The first retransmission leaves about 1 s after the SYN (the initial RTO, RFC 6298 §2.1) ...',
      observe: (r) => r.facts.firstRetransmitS,
      expect: { between: [0.9, 1.5] },
    },
    {
      id: 'second-retransmit',
      says: '... and the second 2 s after that: the timeout doubles.',
      observe: (r) => r.facts.secondRetransmitGapS,
      expect: { between: [1.9, 2.6] },
    },
    {
      id: 'silence',
      says: 'Nothing comes back: no SYN-ACK, no RST, no ICMP.',
      observe: (r) => r.facts.packetsToClient,
      expect: { equals: 0 },
    },
    {
      id: 'errno',
      says: 'connect() fails with ETIMEDOUT, "Connection timed out".',
      observe: (r) => r.facts.outcome,
      expect: { equals: 'ETIMEDOUT Connection timed out' },
    },
    {
      id: 'when',
      says: 'It gives up about 7 s after the first SYN (1 + 2 + 4 s): after the last retransmission the kernel waits one more, doubled timeout.',
      observe: (r) => r.facts.elapsedS,
      expect: { between: [6.8, 9] },
    },
  ],
  run: (ctx) => silentPath(ctx, PORT, 0),
});
