/**
 * The silent-path scenario shared by two labs: a router blackholes everything for the server,
 * the client connects with tcp_syn_retries = 2, and the labs differ only in
 * tcp_syn_linear_timeouts (0: doubling timeouts; 4: the Linux 6.5+ default).
 */
import { onPort, synRetransmitTimes } from '../_lib/packets.ts';
import { CLIENT, FAR_SERVER, routed } from '../_lib/topology.ts';
import type { LabContext } from '../_lib/types.ts';

export async function silentPath(ctx: LabContext, port: number, linearTimeouts: 0 | 4) {
  const { client, router, server, capture } = await routed(ctx, {
    client: {
      'net.ipv4.tcp_syn_linear_timeouts': String(linearTimeouts),
      'net.ipv4.tcp_syn_retries': '2',
    },
  });
  await router.run(['ip', 'route', 'add', 'blackhole', FAR_SERVER]);
  const listener = ctx.probe(server, 'probes/tcp-server.c', ['0.0.0.0', port, 8, 'accept']);
  await listener.waitFor('listening');
  const c = ctx.probe(client, 'reachability/reach.c', ['connect', FAR_SERVER, port]);
  const failed = await c.waitFor('failed', 30_000);
  const packets = await capture.stop();
  const times = Object.values(synRetransmitTimes(packets))[0] ?? [];
  const gaps = times.map((x, i) => Math.round((x - (i ? times[i - 1] : 0)) * 1000) / 1000);
  return {
    // Either schedule ends at the limit of tcp_syn_retries = 2 with doubling timeouts: 1 + 2 + 4 s.
    inherentWaitS: 7,
    facts: {
      syns: onPort(packets, port).filter((p) => p.tcp.syn && !p.tcp.ack).length,
      retransmitTimesS: times,
      firstRetransmitS: times[0],
      secondRetransmitGapS: gaps[1],
      maxGapS: gaps.length ? Math.max(...gaps) : undefined,
      packetsToClient: packets.filter((p) => p.ip.dst === CLIENT).length,
      outcome: `${failed.errno} ${failed.message}`,
      message: failed.message,
      elapsedS: failed.elapsedS,
    },
  };
}
