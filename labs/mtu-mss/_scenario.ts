/**
 * What the MTU and MSS chapter's labs share: a one-byte connection to each of several servers and
 * the MSS each SYN and SYN-ACK offered (the "MSS follows the MTU" labs), and reading a route's
 * cached path MTU (the path-MTU labs, on `narrowPath()` from _lib/topology.ts).
 */
import { tcp } from '../_lib/packets.ts';
import { CLIENT, FAR_SERVER, ROUTER_CLIENT_SIDE } from '../_lib/topology.ts';
import type { Host, LabContext, LabEvent, Packet } from '../_lib/types.ts';

/** The narrow path's ends and a's router, by the names of their hosts. */
export const A = CLIENT;
export const B = FAR_SERVER;
export const R1 = ROUTER_CLIENT_SIDE;

/** `ip -j route get DST` in a host: the route the kernel would use now, with any cached PMTU. */
export async function routeGet(host: Host, dst: string): Promise<Record<string, unknown>> {
  const [route] = JSON.parse(await host.run(['ip', '-j', 'route', 'get', dst])) as Array<
    Record<string, unknown>
  >;
  return route;
}

/** Connects once to each server (a receiver started there first); resolves with each `connected` event. */
export async function handshakeEach(
  ctx: LabContext,
  client: Host,
  servers: Array<{ server: Host; addr: string }>,
  port: number,
): Promise<LabEvent[]> {
  const connected: LabEvent[] = [];
  for (const { server, addr } of servers) {
    const reader = ctx.probe(server, 'probes/stream.c', ['recv', 'tcp', addr, port, 65536, 'now']);
    await reader.waitFor('listening');
    const writer = ctx.probe(client, 'probes/stream.c', ['send', 'tcp', addr, port, 1]);
    connected.push(await writer.waitFor('connected'));
    await writer.waitFor('acked');
  }
  return connected;
}

/** The MSS option of the SYN sent to `addr` (synAck false) or of the SYN-ACK it sent back (true). */
export function synMss(packets: Packet[], addr: string, synAck: boolean): number | undefined {
  return tcp(packets).find(
    (p) => p.tcp.syn && p.tcp.ack === synAck && (synAck ? p.ip.src : p.ip.dst) === addr,
  )?.tcp.options.mss;
}

/** Per server, in order: the MSS each SYN and SYN-ACK offered, and what TCP_INFO reported after. */
export function mssFacts(
  packets: Packet[],
  servers: Array<{ addr: string }>,
  connected: LabEvent[],
) {
  return {
    synMss: servers.map((s) => synMss(packets, s.addr, false)),
    synAckMss: servers.map((s) => synMss(packets, s.addr, true)),
    sndMss: connected.map((e) => e.sndMss),
    pmtu: connected.map((e) => e.pmtu),
  };
}
