/**
 * Hand-built packets for the ladder tests: synthetic, not recordings from any kernel. Each helper
 * fills in only what the ladder reads.
 */
import type { IgmpMessage, Packet } from '../../labs/_lib/types.ts';

/** A TCP segment; `flags` in tcpdump letters (`S`, `S.`, `.`, `P.`, `F.`, `R.`). */
export function tcp(
  t: number,
  [src, srcPort]: [string, number],
  [dst, dstPort]: [string, number],
  flags: string,
  opts: { seq?: number; relSeq?: number; relAck?: number; length?: number } = {},
): Packet {
  const has = (c: string) => flags.includes(c);
  const length = opts.length ?? 0;
  return {
    n: 0,
    t,
    ip: { version: 4, src, dst, length: 52 + length, ttl: 64, protocol: 6 },
    tcp: {
      srcPort,
      dstPort,
      flags,
      syn: has('S'),
      ack: has('.'),
      fin: has('F'),
      rst: has('R'),
      psh: has('P'),
      urg: false,
      seq: opts.seq ?? 1000 + srcPort,
      ackNum: has('.') ? 2000 : 0,
      relSeq: opts.relSeq ?? (has('S') ? 0 : 1),
      ...(has('.') ? { relAck: opts.relAck ?? 1 } : {}),
      window: 512,
      options: { order: [] },
      payloadLength: length,
    },
  };
}

/** A UDP datagram. */
export function udp(
  t: number,
  [src, srcPort]: [string, number],
  [dst, dstPort]: [string, number],
  length: number,
): Packet {
  return {
    n: 0,
    t,
    ip: { version: 4, src, dst, length: 28 + length, ttl: 64, protocol: 17 },
    udp: { srcPort, dstPort, length: 8 + length, payloadLength: length },
  };
}

/** An IGMP message. */
export function igmp(t: number, src: string, dst: string, message: IgmpMessage): Packet {
  return {
    n: 0,
    t,
    ip: { version: 4, src, dst, length: 40, ttl: 1, protocol: 2 },
    igmp: message,
  };
}

/** Numbers the packets in capture order, as a decoded capture would. */
export function capture(packets: Packet[]): Packet[] {
  return packets.map((p, n) => ({ ...p, n }));
}

export const client = '198.51.100.1';
export const server = '198.51.100.2';
export const twoHosts = [
  { name: 'client', addrs: [client] },
  { name: 'server', addrs: [server] },
];
