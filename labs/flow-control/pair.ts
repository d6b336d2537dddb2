/**
 * The two-host setup of the Flow control chapter: a client (198.51.100.1) and a server
 * (198.51.100.2) on a veth pair with MTU 1500 (on `lo`, with MSS 65495, a receiver this small
 * never reopens its window), a capture on the client, and helpers to read windows off the wire.
 */
import type { Capture, Host, LabContext } from '../_lib/context.ts';
import { tcp } from '../_lib/packets.ts';
import type { Packet } from '../_lib/types.ts';

export const CLIENT = '198.51.100.1';
export const SERVER = '198.51.100.2';

export async function tcpPair(
  ctx: LabContext,
): Promise<{ client: Host; server: Host; capture: Capture }> {
  const client = await ctx.host('client');
  const server = await ctx.host('server');
  await ctx.link(client, server, { a: `${CLIENT}/24`, b: `${SERVER}/24`, mtu: 1500 });
  const capture = await ctx.capture(client);
  return { client, server, capture };
}

/** A TCP packet with its window in bytes: the field shifted by the sender's scale (RFC 7323 §2.3), never on SYNs. */
export interface Windowed {
  p: Packet & { tcp: NonNullable<Packet['tcp']> };
  bytes: number;
}

/** Every TCP packet `from` sends, with its advertised window scaled to bytes. */
export function windowsFrom(packets: Packet[], from: string): Windowed[] {
  const all = tcp(packets);
  const syn = all.find((p) => p.ip.src === from && p.tcp.syn);
  const shift = syn?.tcp.options.wscale ?? 0;
  return all
    .filter((p) => p.ip.src === from)
    .map((p) => ({ p, bytes: p.tcp.syn ? p.tcp.window : p.tcp.window << shift }));
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
