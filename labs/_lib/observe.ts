/**
 * Readers for the kernel's own reports: `ss` socket lists and `nstat` counters, parsed from
 * their stable column forms (`ss -H` prints no header; `nstat -asz` prints NAME VALUE RATE).
 */
import type { Host } from './types.ts';

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
      return {
        state,
        recvQ: Number(recvQ),
        sendQ: Number(sendQ),
        local,
        peer,
        ...(timer ? { timer } : {}),
      };
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

/** `skmem:(r…,rb…,t…,tb…,f…,w…,o…,bl…,d…)` of `ss -m`: the socket's memory accounting, bytes. */
export interface SsSkmem {
  /** sk_rmem_alloc: memory (truesize) of data queued for reading. */
  r: number;
  /** sk_rcvbuf: the receive buffer limit (SO_RCVBUF doubled, or autotuned). */
  rb: number;
  /** sk_wmem_alloc: memory of data handed to the layers below, not yet freed. */
  t: number;
  /** sk_sndbuf: the send buffer limit. */
  tb: number;
  /** sk_forward_alloc: memory reserved but not yet used. */
  f: number;
  /** sk_wmem_queued: memory of everything in the write queue (unsent and unacked). */
  w: number;
  /** sk_omem_alloc: option memory. */
  o: number;
  /** sk_backlog.len: packets waiting while a user held the socket lock. */
  bl: number;
  /** sk_drops: packets dropped on this socket. */
  d: number;
}

/** One socket of `ss -H -t -i -n -m` (any subset of -i/-m): the row plus its internals line. */
export interface SsSocketInfo {
  /** Absent when the query named a single state (`ss ... state established`): ss omits the column. */
  state?: string;
  recvQ: number;
  sendQ: number;
  local: string;
  peer: string;
  skmem?: SsSkmem;
  /** Every `key:value` of the internals line, as printed (`rtt` is `avg/var` in ms). */
  fields: Record<string, string>;
  /** Bare words of the internals line: `ts`, `sack`, `cubic`, `app_limited`, ... */
  flags: string[];
}

/**
 * Parses `ss -H -t -n -i [-m]` output: each socket is a row followed by a tab-indented internals
 * line. Units are as ss prints them: `rto`, `rtt`, `ato` in ms; `mss`, `snd_wnd`, `rcv_space` in
 * bytes; `cwnd` in segments. Values ss prints with a space (`send 1Mbps`, `pacing_rate ...`)
 * are skipped: they are derived, not kernel fields.
 */
export function parseSsInfo(text: string): SsSocketInfo[] {
  const sockets: SsSocketInfo[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    if (/^\s/.test(raw) && sockets.length) {
      addInternals(sockets[sockets.length - 1], raw.trim().split(/\s+/));
      continue;
    }
    const parts = raw.trim().split(/\s+/);
    // With a single-state filter ss drops the State column: the row starts with Recv-Q.
    const state = /^\d+$/.test(parts[0]) ? undefined : parts.shift();
    const [recvQ, sendQ, local, peer, ...rest] = parts;
    const socket: SsSocketInfo = {
      ...(state ? { state } : {}),
      recvQ: Number(recvQ),
      sendQ: Number(sendQ),
      local,
      peer,
      fields: {},
      flags: [],
    };
    // `-o` puts `timer:(persist,168ms,0)` on the row itself, `-e` uid/ino/sk there too.
    addInternals(socket, rest);
    sockets.push(socket);
  }
  return sockets;
}

function addInternals(socket: SsSocketInfo, tokens: string[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === 'send' || token === 'pacing_rate' || token === 'delivery_rate') {
      i++; // "send 36041797bps": a rate ss computes, with its value in the next token
      continue;
    }
    const colon = token.indexOf(':');
    if (colon < 0) {
      socket.flags.push(token);
      continue;
    }
    const key = token.slice(0, colon);
    const value = token.slice(colon + 1);
    if (key === 'skmem') socket.skmem = parseSkmem(value);
    else socket.fields[key] = value;
  }
}

function parseSkmem(value: string): SsSkmem {
  const out: Record<string, number> = {};
  for (const m of value.replace(/[()]/g, '').split(',')) {
    const kv = /^([a-z]+)(\d+)$/.exec(m);
    if (kv) out[kv[1]] = Number(kv[2]);
  }
  return out as unknown as SsSkmem;
}

/** The TCP states of include/net/tcp_states.h by number, named as ss names them. */
export const TCP_STATES: Record<number, string> = {
  1: 'ESTAB',
  2: 'SYN-SENT',
  3: 'SYN-RECV',
  4: 'FIN-WAIT-1',
  5: 'FIN-WAIT-2',
  6: 'TIME-WAIT',
  7: 'UNCONN',
  8: 'CLOSE-WAIT',
  9: 'LAST-ACK',
  10: 'LISTEN',
  11: 'CLOSING',
  12: 'NEW-SYN-RECV',
};

/** One line of /proc/net/tcp, decoded (proc(5); tcp4_seq_show() in net/ipv4/tcp_ipv4.c). */
export interface ProcTcpSocket {
  /** Slot number (`sl`). */
  sl: number;
  /** Dotted address and port, e.g. `198.51.100.2:5000`. */
  local: string;
  peer: string;
  /** The `st` code, e.g. 10 for LISTEN. */
  stateCode: number;
  /** The code's name as ss prints it. */
  state: string;
  /** write_seq − snd_una (0 on a listener). */
  txQueue: number;
  /** rcv_nxt − copied_seq; on a listener the accept queue length (sk_ack_backlog). */
  rxQueue: number;
  /** 0 none, 1 retransmit/loss probe, 2 keepalive (sk_timer), 3 TIME-WAIT, 4 zero-window probe. */
  timer: number;
  /** Time to the timer's expiry in clock ticks (USER_HZ, 1/100 s), as `tm->when`. */
  timerTicks: number;
  /** Retransmits (icsk_retransmits) or, on a listener, 0. */
  retransmits: number;
  uid: number;
  /** Unanswered zero-window probes (icsk_probes_out). */
  timeout: number;
  /** The socket's inode, as in /proc/PID/fd links `socket:[N]`; 0 when no file holds it. */
  inode: number;
}

/**
 * Decodes an address:port pair of /proc/net/tcp. The address is the 32-bit word in network
 * order printed with %08X by a little-endian CPU, so its bytes read backwards ("026433C6" is
 * 198.51.100.2); the port is converted with ntohs and prints as plain hex ("1388" is 5000).
 * Design limit: assumes a little-endian machine (x86, arm64 as usually run).
 */
export function decodeProcAddr(hex: string): string {
  const [addr, port] = hex.split(':');
  if (addr.length !== 8) throw new Error(`not an IPv4 /proc/net/tcp address: ${hex}`);
  const bytes = [6, 4, 2, 0].map((i) => parseInt(addr.slice(i, i + 2), 16));
  return `${bytes.join('.')}:${parseInt(port, 16)}`;
}

/** Decodes /proc/net/tcp (IPv4): the header line is skipped. */
export function parseProcNetTcp(text: string): ProcTcpSocket[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\d+:/.test(line))
    .map((line) => {
      const f = line.split(/\s+/);
      const [tx, rx] = f[4].split(':').map((h) => parseInt(h, 16));
      const [tr, when] = f[5].split(':').map((h) => parseInt(h, 16));
      const stateCode = parseInt(f[3], 16);
      return {
        sl: parseInt(f[0], 10),
        local: decodeProcAddr(f[1]),
        peer: decodeProcAddr(f[2]),
        stateCode,
        state: TCP_STATES[stateCode] ?? `UNKNOWN(${stateCode})`,
        txQueue: tx,
        rxQueue: rx,
        timer: tr,
        timerTicks: when,
        retransmits: parseInt(f[6], 16),
        uid: Number(f[7]),
        timeout: Number(f[8]),
        inode: Number(f[9]),
      };
    });
}
