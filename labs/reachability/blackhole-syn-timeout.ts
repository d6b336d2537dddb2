import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { silentPath } from './_scenario.ts';

const PORT = 5703;

export default defineLab({
  title: 'A path that drops SYNs: retransmissions, then ETIMEDOUT',
  verifies:
    'Verify: with `ip route add blackhole 203.0.113.1` in the router, nothing ever answers the client\'s SYN; with tcp_syn_retries = 2 and tcp_syn_linear_timeouts = 0 it is sent 3 times, at 0, 1 and 3 s, and connect() fails with ETIMEDOUT ("Connection timed out") about 7 s after it started.',
  takeaway:
    'When nothing answers at all, connect() retransmits its SYN with doubling timeouts and fails with ETIMEDOUT one timeout after the last retry; tcp_syn_retries decides how long that takes.',
  probes: ['reachability/reach.c', 'probes/tcp-server.c'],
  run: (ctx: LabContext) => silentPath(ctx, PORT, 0),
  claims: [
    {
      id: 'syns',
      says: 'The SYN leaves three times: the original and tcp_syn_retries = 2 retransmissions.',
      fact: 'syns',
      expect: { equals: 3 },
    },
    {
      id: 'first-retransmit',
      says: 'The first retransmission leaves about 1 s after the SYN (the initial RTO, RFC 6298 §2.1) ...',
      fact: 'firstRetransmitS',
      expect: { between: [0.9, 1.5] },
    },
    {
      id: 'second-retransmit',
      says: '... and the second 2 s after that: the timeout doubles.',
      fact: 'secondRetransmitGapS',
      expect: { between: [1.9, 2.6] },
    },
    {
      id: 'silence',
      says: 'Nothing comes back: no SYN-ACK, no RST, no ICMP.',
      fact: 'packetsToClient',
      expect: { equals: 0 },
    },
    {
      id: 'errno',
      says: 'connect() fails with ETIMEDOUT, "Connection timed out".',
      fact: 'outcome',
      expect: { equals: 'ETIMEDOUT Connection timed out' },
    },
    {
      id: 'when',
      says: 'It gives up about 7 s after the first SYN (1 + 2 + 4 s): after the last retransmission the kernel waits one more, doubled timeout.',
      fact: 'elapsedS',
      expect: { between: [6.8, 9] },
    },
  ],
});
