/**
 * What the Flow control chapter's labs share: `clientServer()` (a veth pair with MTU 1500: on
 * `lo`, with MSS 65495, a receiver this small never reopens its window), windows read off the
 * wire, and `ss -tin` internals (rcv_space, snd_wnd, cwnd, ...) on top of the shared `parseSsInfo`.
 */
import { parseSsInfo, type SsSocketInfo } from '../_lib/observe.ts';
import { tcp } from '../_lib/packets.ts';
import type { Host, Packet } from '../_lib/types.ts';

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

export type SsInfo = SsSocketInfo & {
  /** Numeric `key:value` fields of the info line, e.g. cwnd, rcv_space, snd_wnd, rto, mss. */
  info: Record<string, number>;
};

/** The host's established TCP sockets with their internal information. */
export async function ssInfo(host: Host): Promise<SsInfo[]> {
  return parseSsInfo(await host.run(['ss', '-H', '-t', '-i', '-n', '-a']))
    .filter((s) => s.state === 'ESTAB')
    .map((s) => ({
      ...s,
      info: Object.fromEntries(
        Object.entries(s.fields)
          .filter(([, v]) => /^\d+(\.\d+)?$/.test(v))
          .map(([k, v]) => [k, Number(v)]),
      ),
    }));
}
