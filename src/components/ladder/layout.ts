/**
 * Pure layout of a packet ladder (sequence diagram): hosts become columns, packets become arrows
 * with tcpdump-style labels, long pauses become gap markers. No DOM, no Astro: PacketLadder.astro
 * only draws what this returns, and the unit tests check it directly.
 *
 * Design limits:
 *  - Rows are evenly spaced, not scaled by time: a 1 s pause next to 20 µs exchanges would make a
 *    linear scale useless. A pause of at least `gapThresholdS` gets a compact gap row instead.
 *  - SVG text does not wrap, so column spacing comes from the longest label, estimated with a
 *    fixed monospace character width (`charWidth`), clamped to [columnMin, columnMax].
 *  - A packet maps to the first host listing its source/destination address; an address no host
 *    lists gets its own column (marked `implicit`) rather than being dropped.
 *  - A retransmission is a segment that occupies sequence space (data, SYN or FIN) and repeats the
 *    absolute sequence number and flags of an earlier one on the same 4-tuple and direction.
 *    Absolute, not relative, so a new connection reusing the 4-tuple is not mistaken for one;
 *    per interface, so a forwarded segment captured on both links of a router is not one either.
 */
import type { HostInfo, Packet } from '../../../labs/_lib/types.ts';

/** Tunable geometry and thresholds; all lengths in SVG user units (px). */
export interface LadderOptions {
  /** A pause of at least this many seconds between packets gets a gap row. */
  gapThresholdS: number;
  columnMin: number;
  columnMax: number;
  /** Estimated advance of one monospace character at the label font size. */
  charWidth: number;
  rowHeight: number;
  gapHeight: number;
  /** Height of the host-name header with one address line; each further address adds `addrLine`. */
  headerHeight: number;
  addrLine: number;
  /** Width of the time axis on the left. */
  timeWidth: number;
  /** How far a self-addressed packet's loop reaches right of its column. */
  loopWidth: number;
}

/** Defaults tuned for 12px monospace labels. */
export const defaultLadderOptions: LadderOptions = {
  gapThresholdS: 0.01,
  columnMin: 220,
  columnMax: 520,
  charWidth: 7.3,
  rowHeight: 50,
  gapHeight: 30,
  headerHeight: 44,
  addrLine: 14,
  timeWidth: 86,
  loopWidth: 36,
};

/** One host lifeline. */
export interface LadderColumn {
  name: string;
  addrs: string[];
  x: number;
  /** True when no host listed this address and the column was added so the packet still shows. */
  implicit: boolean;
}

/** Visual kinds; each is a CSS class and, where it matters, a word in the label (never colour only). */
export type ArrowClass =
  'tcp' | 'udp' | 'icmp' | 'ip' | 'rst' | 'retransmission' | 'fragment' | 'self';

/** One packet drawn as an arrow. */
export interface LadderArrow {
  kind: 'packet';
  /** Frame number as Wireshark shows it for the same .pcap (1-based). */
  frame: number;
  t: number;
  from: number;
  to: number;
  /** Source and destination are the same host: drawn as a loop on one column. */
  self: boolean;
  x1: number;
  x2: number;
  y: number;
  /** `+0.000123 s`: seconds since the first packet of the capture. */
  time: string;
  /** Words that carry the visual distinctions, shown before the label: `RST`, `retransmission`. */
  marks: string[];
  /** Main line, e.g. `[S.] seq 0, ack 1, win 65160, length 0`. */
  label: string;
  /** Second line: ports, options, fragment info; may be empty. */
  detail: string;
  classes: ArrowClass[];
}

/** A compressed pause between two packets. */
export interface LadderGap {
  kind: 'gap';
  y: number;
  seconds: number;
  /** E.g. `1.02 s later`. */
  text: string;
}

/** Everything the component needs to draw the ladder and its text alternative. */
export interface Ladder {
  columns: LadderColumn[];
  rows: Array<LadderArrow | LadderGap>;
  /** Where the lifelines start: below the host names and their addresses. */
  headerHeight: number;
  /** Vertical lifeline segments [y1, y2], interrupted at gaps. */
  lifelines: Array<[number, number]>;
  width: number;
  height: number;
  /** The distinctive kinds present, for the legend. */
  legend: Array<'rst' | 'retransmission' | 'udp' | 'icmp' | 'fragment' | 'gap' | 'self'>;
}

/** Seconds since the first packet, tcpdump -ttttt style with a leading plus: `+0.000123 s`. */
export function formatTime(t: number): string {
  return `+${t.toFixed(6)} s`;
}

/** A pause in words: `850 µs later`, `44.1 ms later`, `1.02 s later`. */
export function formatGap(seconds: number): string {
  if (seconds < 0.001) return `${Math.round(seconds * 1e6)} µs later`;
  if (seconds < 1) return `${Number((seconds * 1000).toPrecision(3))} ms later`;
  if (seconds < 10) return `${seconds.toFixed(2)} s later`;
  return `${seconds.toFixed(1)} s later`;
}

/** tcpdump-style TCP options, in wire order, without padding (`nop`, `eol`) or clock values. */
export function formatTcpOptions(tcp: NonNullable<Packet['tcp']>): string {
  const o = tcp.options;
  // SACK edges are in the peer's sequence space; ackNum - relAck is that peer's ISN.
  const base = tcp.relAck === undefined ? undefined : (tcp.ackNum - tcp.relAck) >>> 0;
  const rel = (edge: number) => (base === undefined ? edge : (edge - base) >>> 0);
  const parts: string[] = [];
  for (const name of o.order) {
    if (name === 'nop' || name === 'eol') continue;
    if (name === 'mss') parts.push(`mss ${o.mss}`);
    else if (name === 'wscale') parts.push(`wscale ${o.wscale}`);
    else if (name === 'sackOK') parts.push('sackOK');
    // TS val/ecr are host clocks: noise on a diagram, and still in the .pcap for who needs them.
    else if (name === 'TS') parts.push('TS');
    else if (name === 'sack')
      parts.push(`sack ${(o.sack ?? []).map(([l, r]) => `{${rel(l)}:${rel(r)}}`).join(' ')}`);
    else parts.push(name);
  }
  return parts.join(', ');
}

/** The tcpdump-like main line of a packet (without marks). */
export function packetLabel(p: Packet): string {
  const frag = isFragment(p);
  if (p.tcp) {
    const t = p.tcp;
    const seq = t.payloadLength > 0 ? `${t.relSeq}:${t.relSeq + t.payloadLength}` : `${t.relSeq}`;
    const ack = t.ack && t.relAck !== undefined ? `, ack ${t.relAck}` : '';
    return `[${t.flags}] seq ${seq}${ack}, win ${t.window}, length ${t.payloadLength}`;
  }
  if (p.udp) return `UDP, length ${p.udp.payloadLength}`;
  if (p.icmp) {
    const proto = p.ip.version === 6 ? 'ICMPv6' : 'ICMP';
    return /^icmp/i.test(p.icmp.description)
      ? p.icmp.description
      : `${proto} ${p.icmp.description}`;
  }
  if (frag) return `IP fragment, length ${p.ip.length}`;
  return `IP proto ${p.ip.protocol}, length ${p.ip.length}`;
}

/** The second line: ports, TCP options, ICMP details, fragment id/offset. */
export function packetDetail(p: Packet): string {
  const parts: string[] = [];
  if (p.tcp) {
    parts.push(`${p.tcp.srcPort} → ${p.tcp.dstPort}`);
    const opts = formatTcpOptions(p.tcp);
    if (opts) parts.push(opts);
  } else if (p.udp) {
    parts.push(`${p.udp.srcPort} → ${p.udp.dstPort}`);
  } else if (p.icmp) {
    parts.push(
      p.icmp.mtu !== undefined ? `mtu ${p.icmp.mtu}` : `type ${p.icmp.type} code ${p.icmp.code}`,
    );
  }
  if (isFragment(p)) {
    // Offset in bytes, as people reason about it; the header stores 8-byte units.
    parts.push(
      `frag id ${p.ip.id ?? '?'}, offset ${(p.ip.fragOffset ?? 0) * 8}${p.ip.mf ? ', MF' : ''}`,
    );
  }
  return parts.join(' · ');
}

/** True for any IP fragment: more fragments follow, or this is not the first. */
export function isFragment(p: Packet): boolean {
  return Boolean(p.ip.mf) || (p.ip.fragOffset ?? 0) > 0;
}

/** Frame numbers (1-based) of TCP retransmissions, per the rule at the top of this module. */
export function findRetransmissions(packets: Packet[]): Set<number> {
  const seen = new Set<string>();
  const found = new Set<number>();
  packets.forEach((p, i) => {
    const t = p.tcp;
    if (!t || !(t.payloadLength > 0 || t.syn || t.fin)) return;
    // The interface is part of the key: a capture on a router sees one segment once per link.
    const key = `${p.iface ?? ''}|${p.ip.src}|${t.srcPort}|${p.ip.dst}|${t.dstPort}|${t.seq}|${t.flags}`;
    if (seen.has(key)) found.add(i + 1);
    else seen.add(key);
  });
  return found;
}

/** Lays out hosts and packets into columns, arrow rows and gap rows. */
export function layoutLadder(
  hosts: HostInfo[],
  packets: Packet[],
  options: Partial<LadderOptions> = {},
): Ladder {
  const o = { ...defaultLadderOptions, ...options };
  const columns: Array<Omit<LadderColumn, 'x'>> = hosts.map((h) => ({
    name: h.name,
    addrs: h.addrs,
    implicit: false,
  }));
  const columnOf = (addr: string) => {
    let i = columns.findIndex((c) => c.addrs.includes(addr));
    if (i < 0) i = columns.push({ name: addr, addrs: [addr], implicit: true }) - 1;
    return i;
  };

  const retrans = findRetransmissions(packets);
  const drafts = packets.map((p, i) => {
    const from = columnOf(p.ip.src);
    const to = columnOf(p.ip.dst);
    const classes: ArrowClass[] = [p.tcp ? 'tcp' : p.udp ? 'udp' : p.icmp ? 'icmp' : 'ip'];
    const marks: string[] = [];
    if (p.tcp?.rst) {
      classes.push('rst');
      marks.push('RST');
    }
    if (retrans.has(i + 1)) {
      classes.push('retransmission');
      marks.push('retransmission');
    }
    if (isFragment(p)) classes.push('fragment');
    if (from === to) classes.push('self');
    return {
      p,
      frame: i + 1,
      from,
      to,
      classes,
      marks,
      label: packetLabel(p),
      detail: packetDetail(p),
    };
  });

  // Spacing: wide enough for the longest label per spanned column, within the clamp.
  const textChars = (d: (typeof drafts)[number]) =>
    Math.max(d.label.length + d.marks.join(' ').length + (d.marks.length ? 1 : 0), d.detail.length);
  const perColumn = drafts
    .filter((d) => d.from !== d.to)
    .map((d) => (textChars(d) * o.charWidth + 24) / Math.abs(d.to - d.from));
  const spacing = Math.min(o.columnMax, Math.max(o.columnMin, ...perColumn));
  // Host headers print one address per line, so the widest line bounds the header.
  const headerChars = Math.max(
    0,
    ...columns.flatMap((c) => [c.name.length, ...c.addrs.map((a) => a.length)]),
  );
  const addrLines = Math.max(1, ...columns.map((c) => c.addrs.length));
  const x0 = o.timeWidth + Math.max(48, (headerChars * o.charWidth) / 2 + 8);
  const placed: LadderColumn[] = columns.map((c, i) => ({ ...c, x: x0 + i * spacing }));

  const rows: Ladder['rows'] = [];
  const lifelines: Ladder['lifelines'] = [];
  const headerHeight = o.headerHeight + (addrLines - 1) * o.addrLine;
  let y = headerHeight;
  let segmentStart = y;
  drafts.forEach((d, i) => {
    const gap = i > 0 ? d.p.t - packets[i - 1]!.t : 0;
    if (gap >= o.gapThresholdS) {
      lifelines.push([segmentStart, y + 6]);
      rows.push({ kind: 'gap', y: y + o.gapHeight / 2, seconds: gap, text: formatGap(gap) });
      y += o.gapHeight;
      segmentStart = y - 6;
    }
    const rowY = y + o.rowHeight / 2;
    const self = d.from === d.to;
    rows.push({
      kind: 'packet',
      frame: d.frame,
      t: d.p.t,
      from: d.from,
      to: d.to,
      self,
      x1: placed[d.from]!.x,
      x2: self ? placed[d.from]!.x : placed[d.to]!.x,
      y: rowY,
      time: formatTime(d.p.t),
      marks: d.marks,
      label: d.label,
      detail: d.detail,
      classes: d.classes,
    });
    y += o.rowHeight;
  });
  y += 8;
  lifelines.push([segmentStart, y]);

  // Room on the right: half a header, or a self-loop and its left-aligned label.
  const last = placed.at(-1);
  const selfRoom = Math.max(
    0,
    ...drafts
      .filter((d) => d.from === d.to)
      .map(
        (d) => placed[d.from]!.x - (last?.x ?? 0) + o.loopWidth + 12 + textChars(d) * o.charWidth,
      ),
  );
  const width = Math.ceil(
    (last?.x ?? x0) + Math.max(selfRoom, (headerChars * o.charWidth) / 2 + 16),
  );

  const legend: Ladder['legend'] = [];
  const has = (c: ArrowClass) => drafts.some((d) => d.classes.includes(c));
  if (has('retransmission')) legend.push('retransmission');
  if (has('rst')) legend.push('rst');
  if (has('udp')) legend.push('udp');
  if (has('icmp')) legend.push('icmp');
  if (has('fragment')) legend.push('fragment');
  if (has('self')) legend.push('self');
  if (rows.some((r) => r.kind === 'gap')) legend.push('gap');

  return { columns: placed, rows, lifelines, headerHeight, width, height: Math.ceil(y), legend };
}
