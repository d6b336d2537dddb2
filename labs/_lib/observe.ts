/**
 * Readers for the kernel's own reports: `ss` socket lists and `nstat` counters, parsed from
 * their stable column forms (`ss -H` prints no header; `nstat -asz` prints NAME VALUE RATE).
 */
import type { Host } from './context.ts';

/** One socket as `ss -Htan` lists it. */
export interface SsSocket {
  /** `ss` state name: LISTEN, ESTAB, SYN-SENT, SYN-RECV, TIME-WAIT, CLOSE-WAIT, ... */
  state: string;
  /** For LISTEN: connections waiting in the accept queue. Otherwise: unread bytes. */
  recvQ: number;
  /** For LISTEN: the accept queue limit (the backlog). Otherwise: unacknowledged bytes. */
  sendQ: number;
  local: string;
  peer: string;
  /** The `-o` timer field if present, e.g. `timer:(on,1.2sec,1)`. */
  timer?: string;
}

/** Parses `ss -H -t -a -n [-o]` output. */
export function parseSs(text: string): SsSocket[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [state, recvQ, sendQ, local, peer, ...rest] = line.split(/\s+/);
      const timer = rest.find((field) => field.startsWith('timer:'));
      return { state, recvQ: Number(recvQ), sendQ: Number(sendQ), local, peer, ...(timer ? { timer } : {}) };
    });
}

/** Every TCP socket of a host, listeners included, with timers. */
export async function tcpSockets(host: Host): Promise<SsSocket[]> {
  return parseSs(await host.run(['ss', '-H', '-t', '-a', '-n', '-o']));
}

/** Parses `nstat -asz` output into absolute counter values. */
export function parseNstat(text: string): Record<string, number> {
  const counters: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+)\s+(\d+)/.exec(line);
    if (m) counters[m[1]] = Number(m[2]);
  }
  return counters;
}

/**
 * The host's SNMP/netstat counters. `-a` absolute, `-s` do not update the history file (which
 * nstat shares across namespaces), `-z` include zeros so a counter's absence means "unknown".
 */
export async function counters(host: Host): Promise<Record<string, number>> {
  return parseNstat(await host.run(['nstat', '-a', '-s', '-z']));
}
