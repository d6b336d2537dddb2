/** Small queries over decoded packets, so labs read like the sentences they verify. */
import type { Packet } from './types.ts';

type TcpPacket = Packet & { tcp: NonNullable<Packet['tcp']> };

/** TCP packets only. */
export function tcp(packets: Packet[]): TcpPacket[] {
  return packets.filter((p): p is TcpPacket => p.tcp !== undefined);
}

/** TCP packets to or from a port. */
export function onPort(packets: Packet[], port: number): TcpPacket[] {
  return tcp(packets).filter((p) => p.tcp.srcPort === port || p.tcp.dstPort === port);
}

/** The flag strings in order, e.g. ['S', 'S.', '.']. */
export function flagSequence(packets: Packet[]): string[] {
  return tcp(packets).map((p) => p.tcp.flags);
}

/** A stable name for one direction of one connection. */
export function flowKey(p: TcpPacket): string {
  return `${p.ip.src}:${p.tcp.srcPort}>${p.ip.dst}:${p.tcp.dstPort}`;
}

/**
 * Segments sent again: same direction, same sequence number and flags, carrying a SYN, a FIN or
 * data (a bare ACK repeating its number is not a retransmission).
 */
export function retransmissions(packets: Packet[]): TcpPacket[] {
  const seen = new Set<string>();
  const again: TcpPacket[] = [];
  for (const p of tcp(packets)) {
    if (!(p.tcp.syn || p.tcp.fin || p.tcp.payloadLength > 0)) continue;
    const key = `${flowKey(p)}#${p.tcp.seq}#${p.tcp.flags}`;
    if (seen.has(key)) again.push(p);
    else seen.add(key);
  }
  return again;
}

/** Seconds from each flow's first SYN to each of its retransmitted SYNs, per source port. */
export function synRetransmitTimes(packets: Packet[]): Record<number, number[]> {
  const first = new Map<number, number>();
  const times: Record<number, number[]> = {};
  for (const p of tcp(packets)) {
    if (!p.tcp.syn || p.tcp.ack) continue;
    const port = p.tcp.srcPort;
    const t0 = first.get(port);
    if (t0 === undefined) first.set(port, p.t);
    else (times[port] ??= []).push(round3(p.t - t0));
  }
  return times;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
