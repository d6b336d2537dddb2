/**
 * What the two "MSS follows the MTU" labs share: one client with a link of a different MTU to
 * each server, a one-byte connection over each, and the MSS each SYN and SYN-ACK advertised.
 */
import type { Host, LabContext } from '../_lib/context.ts';
import { tcp } from '../_lib/packets.ts';
import type { LabEvent, Packet } from '../_lib/types.ts';

/** Connects once to each server (a receiver started there first); resolves with each `connected` event. */
export async function handshakeEach(
  ctx: LabContext,
  client: Host,
  servers: Array<{ server: Host; addr: string }>,
  port: number,
): Promise<LabEvent[]> {
  const connected: LabEvent[] = [];
  for (const { server, addr } of servers) {
    const reader = ctx.probe(server, 'segments/stream.c', [
      'recv',
      'tcp',
      addr,
      port,
      65536,
      'now',
    ]);
    await reader.waitFor('listening');
    const writer = ctx.probe(client, 'segments/stream.c', ['send', 'tcp', addr, port, 1]);
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
