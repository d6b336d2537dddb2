/**
 * Verify: the same silent path with the 6.5+ default tcp_syn_linear_timeouts = 4 → with
 * tcp_syn_retries = 2 the SYN leaves 6 times, 1 s apart, and connect() still fails with ETIMEDOUT
 * after about 7 s: the linear retransmissions add to tcp_syn_retries, the time limit stays.
 */
import { defineLab } from '../_lib/define.ts';
import { onPort, synRetransmitTimes } from '../_lib/packets.ts';
import { CLIENT, SERVER, routed } from './topology.ts';

const PORT = 5706;

export default defineLab({
  id: 'reachability/linear-syn-retries',
  title: 'tcp_syn_retries = 2, six SYNs: linear timeouts',
  verifies:
    'Verify: on the same silent path, with tcp_syn_retries = 2 and the Linux 6.5+ default tcp_syn_linear_timeouts = 4, the SYN leaves 6 times, 1 s apart (the linear retransmissions come on top of tcp_syn_retries), and connect() fails with ETIMEDOUT about 7 s after it started, the same time as with doubling timeouts.',
  probes: ['reachability/reach.c', 'handshakes/server.c'],
  claims: [
    { id: 'syns', says: 'The SYN leaves six times: tcp_syn_retries (2) plus tcp_syn_linear_timeouts (4) retransmissions are allowed.', observe: (r) => r.facts.syns, expect: { equals: 6 }, kernelNote: 'Linux 6.5+ (tcp_write_timeout() adds tcp_syn_linear_timeouts to the retry count); older kernels send 3' },
    { id: 'linear', says: 'All five retransmissions are about 1 s apart.', observe: (r) => r.facts.maxGapS, expect: { between: [0.9, 1.5] } },
    { id: 'silence', says: 'Nothing comes back.', observe: (r) => r.facts.packetsToClient, expect: { equals: 0 } },
    { id: 'errno', says: 'connect() fails with ETIMEDOUT, "Connection timed out".', observe: (r) => r.facts.outcome, expect: { equals: 'ETIMEDOUT Connection timed out' } },
    { id: 'when', says: 'Still about 7 s after the first SYN: the time limit is that of tcp_syn_retries = 2 with doubling timeouts (1 + 2 + 4 s).', observe: (r) => r.facts.elapsedS, expect: { between: [6.8, 9] } },
  ],
  async run(ctx) {
    const { client, router, server, capture } = await routed(ctx, { 'net.ipv4.tcp_syn_linear_timeouts': '4', 'net.ipv4.tcp_syn_retries': '2' });
    await router.run(['ip', 'route', 'add', 'blackhole', SERVER]);
    const listener = ctx.probe(server, 'handshakes/server.c', ['0.0.0.0', PORT, 8, 'accept']);
    await listener.waitFor('listening');
    const c = ctx.probe(client, 'reachability/reach.c', ['connect', SERVER, PORT]);
    const failed = await c.waitFor('failed', 30_000);
    const packets = await capture.stop();
    const times = Object.values(synRetransmitTimes(packets))[0] ?? [];
    return {
      hosts: ctx.hostInfo(),
      packets,
      events: ctx.events,
      // Five linear SYN timeouts of 1 s, then the wait to the 7 s limit.
      inherentWaitS: 7,
      facts: {
        syns: onPort(packets, PORT).filter((p) => p.tcp.syn && !p.tcp.ack).length,
        retransmitTimesS: times,
        maxGapS: times.length ? Math.max(...times.map((x, i) => Math.round((x - (i ? times[i - 1] : 0)) * 1000) / 1000)) : undefined,
        packetsToClient: packets.filter((p) => p.ip.dst === CLIENT).length,
        outcome: `${failed.errno} ${failed.message}`,
        elapsedS: failed.elapsedS,
      },
    };
  },
});
