/**
 * `ss -tin` as data: for each TCP socket, its queue columns plus the `key:value` fields of the
 * internal-information line (rcv_space, snd_wnd, cwnd, ...). A reader for this chapter only;
 * it could move to _lib/observe.ts if another chapter needs it.
 */
import type { Host } from '../_lib/context.ts';

export interface SsInfo {
  state: string;
  recvQ: number;
  sendQ: number;
  local: string;
  peer: string;
  /** Numeric `key:value` fields of the info line, e.g. cwnd, rcv_space, snd_wnd, rto, mss. */
  info: Record<string, number>;
}

/** Parses `ss -H -t -i -n -a` output: one socket line, then an indented info line. */
export function parseSsInfo(text: string): SsInfo[] {
  const sockets: SsInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (/^\s/.test(line) && sockets.length) {
      const info = sockets[sockets.length - 1].info;
      for (const m of line.matchAll(/(?:^|\s)([a-z_]+):([\d.]+)(?=\s|$)/g)) info[m[1]] = Number(m[2]);
      continue;
    }
    const [state, recvQ, sendQ, local, peer] = line.trim().split(/\s+/);
    sockets.push({ state, recvQ: Number(recvQ), sendQ: Number(sendQ), local, peer, info: {} });
  }
  return sockets;
}

/** The host's established TCP sockets with their internal information. */
export async function ssInfo(host: Host): Promise<SsInfo[]> {
  return parseSsInfo(await host.run(['ss', '-H', '-t', '-i', '-n', '-a'])).filter((s) => s.state === 'ESTAB');
}
