import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { silentPath } from './_scenario.ts';

const PORT = 5706;

export default defineLab({
  title: 'tcp_syn_retries = 2, six SYNs: linear timeouts',
  verifies:
    'Verify: on the same silent path, with tcp_syn_retries = 2 and the Linux 6.5+ default tcp_syn_linear_timeouts = 4, the SYN leaves 6 times, 1 s apart (the linear retransmissions come on top of tcp_syn_retries), and connect() fails with ETIMEDOUT about 7 s after it started, the same time as with doubling timeouts.',
  takeaway:
    'Since Linux 6.5, tcp_syn_linear_timeouts adds SYN retransmissions spaced by the initial RTO on top of tcp_syn_retries, yet with a small tcp_syn_retries connect() to a silent host fails at the same moment as before: tcp_syn_retries no longer tells how many SYNs leave.',
  probes: ['reachability/reach.c', 'probes/tcp-server.c'],
  run: (ctx: LabContext) => silentPath(ctx, PORT, 4),
  claims: [
    {
      id: 'syns',
      says: 'The SYN leaves six times: tcp_syn_retries (2) plus tcp_syn_linear_timeouts (4) retransmissions are allowed.',
      fact: 'syns',
      expect: { equals: 6 },
      kernel: {
        since: '6.5',
        before: { equals: 3 },
        change:
          'net.ipv4.tcp_syn_linear_timeouts, new in Linux 6.5 (ip-sysctl.rst); tcp_write_timeout() adds it to the retry count',
      },
    },
    {
      id: 'linear',
      says: 'All five retransmissions are about 1 s apart.',
      fact: 'maxGapS',
      expect: { between: [0.9, 1.5] },
      kernel: {
        since: '6.5',
        before: { between: [1.8, 2.6] },
        change:
          'before tcp_syn_linear_timeouts (Linux 6.5) every SYN timeout doubles: 1 s, then 2 s',
      },
    },
    {
      id: 'silence',
      says: 'Nothing comes back.',
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
      says: 'Still about 7 s after the first SYN: the time limit is that of tcp_syn_retries = 2 with doubling timeouts (1 + 2 + 4 s).',
      fact: 'elapsedS',
      expect: { between: [6.8, 9] },
    },
  ],
});
