/**
 * Pure layout of a packet ladder (sequence diagram): lifelines become columns, packets become
 * arrows with tcpdump-style labels, long pauses become gap markers, long repeated runs become one
 * counted row. No DOM, no Astro: PacketLadder.astro only draws what this returns, and the unit
 * tests check it directly.
 *
 * Design limits:
 *  - Rows are evenly spaced, not scaled by time: a 1 s pause next to 20 µs exchanges would make a
 *    linear scale useless. A pause of at least `gapThresholdS` gets a compact gap row instead.
 *  - Lifelines are hosts, or ports when all traffic stays inside one host, with one column for
 *    multicast groups (./columns.ts).
 *  - A ladder stays readable: past `collapseAbove` rows, runs of repeated packets (./collapse.ts)
 *    become one row with their count and time span, the first and last repetition still drawn;
 *    past `maxRows` rows or `maxHeight`, the middle of the capture is left out of the drawing
 *    (one row says which frames). The table (`table`) keeps every packet either way: a collapsed
 *    run is one row with its count, every left-out packet has its own row.
 *  - SVG text does not wrap, so the space between two columns comes from the longest label drawn
 *    across it, estimated with a fixed monospace character width (`charWidth`), never less than
 *    `columnMin` nor more than `columnMax` per column.
 *  - A retransmission is a segment that occupies sequence space (data, SYN or FIN) and repeats the
 *    absolute sequence number and flags of an earlier one on the same 4-tuple and direction.
 *    Absolute, not relative, so a new connection reusing the 4-tuple is not mistaken for one;
 *    per interface, so a forwarded segment captured on both links of a router is not one either.
 *  - Notes (./annotations.ts) attach to frames; a note's frames are never collapsed away. A side
 *    lane (ZeroMQ monitor events) sits right of the last lifeline, each event beside the row it
 *    follows in time.
 */
import type { HostInfo, IgmpMessage, IgmpRecord, Packet } from '../../../labs/_lib/types.ts';
import { findRepeats, rowsSaved, type Repeat } from './collapse.ts';
import { assignColumns, isMulticast } from './columns.ts';

/** Tunable geometry and thresholds; all lengths in SVG user units (px). */
export interface LadderOptions {
  /** A pause of at least this many seconds between packets gets a gap row. */
  gapThresholdS: number;
  /** Least and most room per column for the labels drawn across it. */
  columnMin: number;
  columnMax: number;
  /** Estimated advance of one monospace character at the label font size. */
  charWidth: number;
  /** Same for a column's name (bold, proportional, larger). */
  nameCharWidth: number;
  /** Same for the side lane's smaller text. */
  laneCharWidth: number;
  rowHeight: number;
  gapHeight: number;
  /** Extra height of a row that carries a note. */
  noteHeight: number;
  /** Height of the column header with one address line; each further address adds `addrLine`. */
  headerHeight: number;
  addrLine: number;
  /** Width of the time axis on the left. */
  timeWidth: number;
  /** How far a self-addressed packet's loop reaches right of its column. */
  loopWidth: number;
  /** Repeated runs are collapsed once the ladder would have more rows than this. */
  collapseAbove: number;
  /** Hard bounds: beyond them the middle of the capture is left out of the drawing. */
  maxRows: number;
  maxHeight: number;
  /** Longest repeated unit looked for, and the fewest repetitions collapsed. */
  maxUnit: number;
  minRepeats: number;
  /** Loopback captures: above this many ports, the clients of a busy port share one column. */
  maxPortColumns: number;
}

/** Defaults tuned for 12px monospace labels. */
export const defaultLadderOptions: LadderOptions = {
  gapThresholdS: 0.01,
  columnMin: 120,
  columnMax: 520,
  charWidth: 7.3,
  nameCharWidth: 8.2,
  laneCharWidth: 6.7,
  rowHeight: 50,
  gapHeight: 30,
  noteHeight: 17,
  headerHeight: 44,
  addrLine: 14,
  timeWidth: 86,
  loopWidth: 36,
  collapseAbove: 24,
  maxRows: 36,
  maxHeight: 1700,
  maxUnit: 6,
  minRepeats: 4,
  maxPortColumns: 4,
};

/** One lifeline: a host, a port (loopback), a group of client ports, or the multicast groups. */
export interface LadderColumn {
  name: string;
  /** Lines under the name: a host's addresses, a port group's count, the multicast groups. */
  addrs: string[];
  x: number;
  /** True when no host listed this address and the column was added so the packet still shows. */
  implicit: boolean;
  role: 'host' | 'port' | 'ports' | 'groups';
}

/** Visual kinds; each is a CSS class and, where it matters, a word in the label (never colour only). */
export type ArrowClass =
  'tcp' | 'udp' | 'icmp' | 'igmp' | 'ip' | 'rst' | 'retransmission' | 'fragment' | 'self';

/** One packet drawn as an arrow. */
export interface LadderArrow {
  kind: 'packet';
  /** Frame number as Wireshark shows it for the same .pcap (1-based). */
  frame: number;
  t: number;
  from: number;
  to: number;
  /** Source and destination are the same column: drawn as a loop on one column. */
  self: boolean;
  /** Which side of its column a loop and its label go: left when the space there is free. */
  side: 'left' | 'right';
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
  /** A note on this packet (./annotations.ts), drawn under the detail line. */
  note?: string;
}

/**
 * Several packets in one row: a repeated run (`repeat`: the same unit of packets again and
 * again, between a first and a last repetition that stay drawn), or the middle of a capture too
 * long to draw (`elided`).
 */
export interface LadderRun {
  kind: 'run';
  reason: 'repeat' | 'elided';
  /** First and last frame the row stands for. */
  frames: [number, number];
  /** Packets it stands for. */
  count: number;
  /** Packets per repetition and repetitions (an elided row: all of them, once). */
  unit: number;
  repeats: number;
  /** Time of its first and last packet. */
  t: [number, number];
  /** Leftmost and rightmost column its packets touch. */
  from: number;
  to: number;
  x1: number;
  x2: number;
  y: number;
  /** Start time, as on a packet row. */
  time: string;
  /** `× 198 datagrams: UDP, length 200`. */
  text: string;
  /** `39029 → 5403 · 0.00003–0.00032 s`. */
  detail: string;
  classes: ArrowClass[];
}

/** A compressed pause between two rows. */
export interface LadderGap {
  kind: 'gap';
  y: number;
  seconds: number;
  /** E.g. `1.02 s later`. */
  text: string;
}

/** A note as drawn: its text under its packet, and a bracket in the left gutter for a span. */
export interface LadderNoteMark {
  frame: number;
  text: string;
  x: number;
  y: number;
  anchor: 'start' | 'middle' | 'end';
  /** From the row of the note's `from` frame to its own row. */
  bracket?: { x: number; y1: number; y2: number };
}

/** A note as annotations.ts computes it. */
export interface LadderNote {
  /** The frame (1-based) the note belongs to. */
  frame: number;
  /** An earlier frame: the note is about the span from it to `frame`. */
  from?: number;
  text: string;
}

/** Events to show beside the ladder, with times already on the capture's clock. */
export interface LaneInput {
  title: string;
  subtitle?: string;
  /** One sentence for the figure caption: where the events come from, how they were aligned. */
  caption: string;
  events: Array<{ t: number; text: string }>;
}

/** The side lane as drawn: at most three lines beside each row. */
export interface LadderLane {
  x: number;
  title: string;
  subtitle: string;
  caption: string;
  items: Array<{ y: number; lines: string[] }>;
  /** Events placed (all of them; a line may count several). */
  count: number;
}

/** One row of the text alternative. */
export interface LadderTableRow {
  /** `5` or `5–188`. */
  frames: string;
  time: string;
  fromTo: string;
  marks: string[];
  label: string;
  detail: string;
  /** Packets the row stands for (1 for a packet). */
  count: number;
  classes: ArrowClass[];
  note?: string;
}

export type LegendKey =
  | 'rst'
  | 'retransmission'
  | 'udp'
  | 'icmp'
  | 'igmp'
  | 'fragment'
  | 'gap'
  | 'self'
  | 'run'
  | 'elided';

/** Everything the component needs to draw the ladder and its text alternative. */
export interface Ladder {
  columns: LadderColumn[];
  rows: Array<LadderArrow | LadderRun | LadderGap>;
  /** Where the lifelines start: below the column names and their address lines. */
  headerHeight: number;
  /** Vertical lifeline segments [y1, y2], interrupted at gaps. */
  lifelines: Array<[number, number]>;
  width: number;
  height: number;
  /** The distinctive kinds present, for the legend. */
  legend: LegendKey[];
  notes: LadderNoteMark[];
  lane?: LadderLane;
  /** The same packets as table rows: every packet, or one row per collapsed run. */
  table: LadderTableRow[];
  /** Packets in the capture, and how many are drawn as their own arrow. */
  packetCount: number;
  drawnCount: number;
  /** `hosts`, or `ports` for a capture that never leaves one host. */
  mode: 'hosts' | 'ports';
}

/** Seconds since the first packet, tcpdump -ttttt style with a leading plus: `+0.000123 s`. */
export function formatTime(t: number): string {
  return `+${t.toFixed(6)} s`;
}

/** A pause in words: `850 µs later`, `44.1 ms later`, `1.02 s later`. */
export function formatGap(seconds: number): string {
  return `${formatDuration(seconds)} later`;
}

/** A duration: `850 µs`, `44.1 ms`, `1.02 s`, `61.2 s`. */
export function formatDuration(seconds: number): string {
  if (seconds < 0.001) return `${Math.round(seconds * 1e6)} µs`;
  if (seconds < 1) return `${Number((seconds * 1000).toPrecision(3))} ms`;
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  return `${seconds.toFixed(1)} s`;
}

/**
 * A time span since the first packet with as many decimals as it takes to tell its ends apart
 * (3 to 6): `0.013–0.902 s`, `0.00003–0.00032 s`.
 */
export function formatSpan(a: number, b: number): string {
  const span = Math.max(b - a, 1e-6);
  const decimals = Math.min(6, Math.max(3, Math.ceil(-Math.log10(span)) + 1));
  return `${a.toFixed(decimals)}–${b.toFixed(decimals)} s`;
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

/** Names of the link-local groups IGMP and MLD messages are sent to. */
const wellKnownGroups: Record<string, string> = {
  '224.0.0.1': 'all hosts',
  '224.0.0.2': 'all routers',
  '224.0.0.22': 'IGMPv3 routers',
  'ff02::1': 'all nodes',
  'ff02::2': 'all routers',
  'ff02::16': 'MLDv2 routers',
};

/** An IGMPv3 group record in words: an empty TO_EX is a join, an empty TO_IN a leave (RFC 3376 §5.1). */
function igmpRecord(r: IgmpRecord): string {
  if (r.sources.length === 0 && r.mode === 'to_ex') return `join ${r.group}`;
  if (r.sources.length === 0 && r.mode === 'to_in') return `leave ${r.group}`;
  return `${r.mode} ${r.group} {${r.sources.join(' ')}}`;
}

/** `IGMPv3 report: join 239.1.2.3`, `IGMPv2 leave 239.1.2.3`, `IGMPv2 query (general)`. */
export function igmpLabel(m: IgmpMessage): string {
  const v = `IGMPv${m.version}`;
  if (m.kind === 'query')
    return `${v} query ${!m.group || m.group === '0.0.0.0' ? '(general)' : m.group}`;
  if (m.kind === 'report' && m.records?.length)
    return `${v} report: ${m.records.map(igmpRecord).join(', ')}`;
  return [v, m.kind, m.group].filter(Boolean).join(' ');
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
  if (p.igmp) return igmpLabel(p.igmp);
  if (p.icmp) {
    const proto = p.ip.version === 6 ? 'ICMPv6' : 'ICMP';
    return /^icmp/i.test(p.icmp.description)
      ? p.icmp.description
      : `${proto} ${p.icmp.description}`;
  }
  if (frag) return `IP fragment, length ${p.ip.length}`;
  return `IP proto ${p.ip.protocol}, length ${p.ip.length}`;
}

/** The second line: ports, TCP options, ICMP details, fragment id/offset, multicast group. */
export function packetDetail(p: Packet, opts: { ports?: boolean } = {}): string {
  const parts: string[] = [];
  // Without ports when the columns already name them (loopback, one port per column).
  const ports = opts.ports ?? true;
  if (p.tcp) {
    if (ports) parts.push(`${p.tcp.srcPort} → ${p.tcp.dstPort}`);
    const opts = formatTcpOptions(p.tcp);
    if (opts) parts.push(opts);
  } else if (p.udp) {
    if (ports) parts.push(`${p.udp.srcPort} → ${p.udp.dstPort}`);
  } else if (p.icmp) {
    parts.push(
      p.icmp.mtu !== undefined ? `mtu ${p.icmp.mtu}` : `type ${p.icmp.type} code ${p.icmp.code}`,
    );
  }
  // One column holds every group, so each arrow into it names its destination.
  if (isMulticast(p.ip.dst)) {
    const name = wellKnownGroups[p.ip.dst];
    parts.push(`to ${p.ip.dst}${name ? ` (${name})` : ''}`);
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

/** One packet, decided but not placed. */
interface Draft {
  p: Packet;
  frame: number;
  from: number;
  to: number;
  classes: ArrowClass[];
  marks: string[];
  label: string;
  detail: string;
  /** What makes two packets "the same again" for collapsing. */
  sig: string;
  note?: LadderNote;
}

/** What a row of the drawing stands for, before it is placed. */
type Item =
  | { kind: 'packet'; d: Draft }
  | { kind: 'repeat'; ds: Draft[]; unit: number; repeats: number }
  | { kind: 'elided'; ds: Draft[]; items: Item[] };

const draftsOf = (it: Item): Draft[] => (it.kind === 'packet' ? [it.d] : it.ds);
const startOf = (it: Item) => draftsOf(it)[0]!.p.t;
const endOf = (it: Item) => draftsOf(it).at(-1)!.p.t;

/** Lays out hosts and packets into columns, arrow rows, collapsed rows and gap rows. */
export function layoutLadder(
  hosts: HostInfo[],
  packets: Packet[],
  options: Partial<LadderOptions> = {},
  extras: { notes?: LadderNote[]; lane?: LaneInput } = {},
): Ladder {
  const o = { ...defaultLadderOptions, ...options };
  const assigned = assignColumns(hosts, packets, o);
  const columns = assigned.columns;
  const notes = new Map<number, LadderNote>();
  const noted = new Set<number>();
  for (const n of extras.notes ?? []) {
    if (n.frame < 1 || n.frame > packets.length || notes.has(n.frame)) continue;
    notes.set(n.frame, n);
    noted.add(n.frame);
    if (n.from !== undefined) noted.add(n.from);
  }

  const retrans = findRetransmissions(packets);
  const drafts: Draft[] = packets.map((p, i) => {
    const from = assigned.from[i]!;
    const to = assigned.to[i]!;
    const kind: ArrowClass = p.tcp
      ? 'tcp'
      : p.udp
        ? 'udp'
        : p.igmp
          ? 'igmp'
          : p.icmp
            ? 'icmp'
            : 'ip';
    const classes: ArrowClass[] = [kind];
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
    const label = packetLabel(p);
    const what = p.tcp
      ? `${p.tcp.flags}|${p.tcp.payloadLength}`
      : p.udp
        ? `${p.udp.payloadLength}`
        : label;
    // A frame a note talks about is never "the same again": it stays drawn.
    const sig = noted.has(i + 1) ? `#${i + 1}` : `${from}>${to}|${classes.join(',')}|${what}`;
    return {
      p,
      frame: i + 1,
      from,
      to,
      classes,
      marks,
      label,
      detail: packetDetail(p, {
        ports: !(columns[from]!.role === 'port' && columns[to]!.role === 'port'),
      }),
      sig,
      note: notes.get(i + 1),
    };
  });

  const addrLines = Math.max(1, ...columns.map((c) => c.addrs.length));
  const items = chooseItems(drafts, o, o.headerHeight + (addrLines - 1) * o.addrLine, noted);
  return place(items, drafts, columns, assigned.mode, o, extras.lane);
}

/** Rows and height of a list of items (gap rows included), before placing them. */
function measure(items: Item[], o: LadderOptions, headerHeight: number) {
  let rows = 0;
  let height = headerHeight + 8;
  items.forEach((it, i) => {
    if (i > 0 && startOf(it) - endOf(items[i - 1]!) >= o.gapThresholdS) {
      rows++;
      height += o.gapHeight;
    }
    rows++;
    height += o.rowHeight + (it.kind === 'packet' && it.d.note ? o.noteHeight : 0);
  });
  return { rows, height };
}

/** Collapses repeated runs, then leaves out the middle, until the bounds hold. */
function chooseItems(
  drafts: Draft[],
  o: LadderOptions,
  header: number,
  noted: Set<number>,
): Item[] {
  const build = (applied: Repeat[]): Item[] => {
    const items: Item[] = [];
    const byStart = new Map(applied.map((r) => [r.start + r.unit, r]));
    for (let i = 0; i < drafts.length;) {
      const r = byStart.get(i);
      if (r) {
        const end = r.start + r.unit * (r.repeats - 1);
        items.push({
          kind: 'repeat',
          ds: drafts.slice(i, end),
          unit: r.unit,
          repeats: r.repeats - 2,
        });
        i = end;
      } else items.push({ kind: 'packet', d: drafts[i++]! });
    }
    return items;
  };

  let items = build([]);
  if (measure(items, o, header).rows > o.collapseAbove) {
    const candidates = findRepeats(
      drafts.map((d) => d.sig),
      o,
    ).sort((a, b) => rowsSaved(b) - rowsSaved(a));
    const applied: Repeat[] = [];
    for (const r of candidates) {
      if (measure(items, o, header).rows <= o.collapseAbove) break;
      applied.push(r);
      items = build(applied);
    }
  }

  const fits = (list: Item[]) => {
    const m = measure(list, o, header);
    return m.rows <= o.maxRows && m.height <= o.maxHeight;
  };
  if (fits(items)) return items;
  // Leave out the middle, but not the rows a note is about (nor their neighbours): they stay as
  // islands between left-out stretches. Of the cuts that fit, prefer cuts at a natural boundary
  // (a pause, or the traffic moving to other lifelines), then the one that draws the most rows,
  // most of them from the start, where the story begins.
  const keep = new Set<number>();
  items.forEach((it, i) => {
    if (draftsOf(it).some((d) => noted.has(d.frame)))
      for (const j of [i - 1, i, i + 1]) if (j >= 0 && j < items.length) keep.add(j);
  });
  const cols = (it: Item) =>
    [...new Set(draftsOf(it).flatMap((d) => [d.from, d.to]))].sort((a, b) => a - b).join();
  const natural = (i: number) =>
    startOf(items[i]!) - endOf(items[i - 1]!) >= o.gapThresholdS ||
    cols(items[i]!) !== cols(items[i - 1]!);
  const cut = (head: number, tail: number): Item[] => {
    const list = items.slice(0, head);
    let left: Item[] = [];
    const flush = () => {
      if (left.length > 0) list.push({ kind: 'elided', ds: left.flatMap(draftsOf), items: left });
      left = [];
    };
    for (let i = head; i < items.length - tail; i++) {
      if (keep.has(i)) {
        flush();
        list.push(items[i]!);
      } else left.push(items[i]!);
    }
    flush();
    return [...list, ...items.slice(items.length - tail)];
  };
  let best: { list: Item[]; score: number } | undefined;
  for (let head = 1; head < Math.min(o.maxRows, items.length); head++) {
    for (let tail = 1; head + tail < Math.min(o.maxRows, items.length); tail++) {
      const score =
        head +
        tail +
        8 * (Number(natural(head)) + Number(natural(items.length - tail))) -
        4 * Math.abs(head / (head + tail) - 0.6);
      if (best && score <= best.score) continue;
      const list = cut(head, tail);
      if (fits(list)) best = { list, score };
    }
  }
  return best?.list ?? items;
}

/** `connections`, `connection attempts`, `datagrams`... for a collapsed run's count. */
function runNoun(ds: Draft[], unit: number): string {
  const first = ds[0]!.p;
  if (unit === 1) return first.udp ? 'datagrams' : first.tcp ? 'segments' : 'packets';
  if (first.tcp?.syn && !first.tcp.ack)
    return ds.slice(0, unit).some((d) => d.p.tcp?.rst) ? 'connection attempts' : 'connections';
  return `repeats of these ${unit} packets`;
}

/** The two lines of a collapsed or left-out row. */
function describeRun(
  it: Exclude<Item, { kind: 'packet' }>,
  o: LadderOptions,
): { text: string; detail: string } {
  const ds = it.ds;
  const t0 = ds[0]!.p.t;
  const t1 = ds.at(-1)!.p.t;
  if (it.kind === 'elided')
    return {
      text: `⋯ ${ds.length} packets not drawn: frames ${ds[0]!.frame}–${ds.at(-1)!.frame} ⋯`,
      detail: `${formatSpan(t0, t1)} · each is in the table below`,
    };
  const first = ds[0]!;
  const count = it.unit === 1 ? ds.length : it.repeats;
  let text = `× ${count} ${runNoun(ds, it.unit)}`;
  if (it.unit === 1)
    text += `: ${first.p.tcp ? `[${first.p.tcp.flags}] length ${first.p.tcp.payloadLength}` : first.label}`;
  // A reconnect loop: how far apart the repetitions started.
  const starts = ds.filter((_, i) => i % it.unit === 0).map((d) => d.p.t);
  const steps = starts.slice(1).map((t, i) => t - starts[i]!);
  if (steps.length > 0 && Math.min(...steps) >= o.gapThresholdS) {
    const [lo, hi] = [formatDuration(Math.min(...steps)), formatDuration(Math.max(...steps))];
    const [l, lu] = lo.split(' ');
    const [h, hu] = hi.split(' ');
    text += `, every ${lo === hi ? lo : lu === hu ? `${l}–${h} ${hu}` : `${lo} to ${hi}`}`;
  }
  const parts: string[] = [];
  if (it.unit > 1) {
    parts.push(
      ds
        .slice(0, it.unit)
        .map((d) => (d.p.tcp ? `[${d.p.tcp.flags}]` : d.label.split(',')[0]))
        .join(' → '),
    );
    parts.push(`${ds.length} packets`);
  } else if (first.detail && ds.every((d) => d.detail === first.detail)) parts.push(first.detail);
  parts.push(formatSpan(t0, t1));
  return { text, detail: parts.join(' · ') };
}

/** Places items and everything around them. */
function place(
  items: Item[],
  drafts: Draft[],
  drafted: Array<{ name: string; addrs: string[]; implicit: boolean; role: LadderColumn['role'] }>,
  mode: Ladder['mode'],
  o: LadderOptions,
  laneInput: LaneInput | undefined,
): Ladder {
  const span = (ds: Draft[]) => {
    const cols = ds.flatMap((d) => [d.from, d.to]);
    return [Math.min(...cols), Math.max(...cols)] as const;
  };
  const textChars = (d: Draft) =>
    Math.max(
      d.label.length + d.marks.join(' ').length + (d.marks.length ? 1 : 0),
      d.detail.length,
      d.note?.text.length ?? 0,
    );

  // Texts of collapsed rows (also those inside a left-out middle, for the table).
  const runs = new Map<Item, { text: string; detail: string }>();
  const describe = (it: Item) => {
    if (it.kind === 'packet') return;
    if (it.kind === 'elided') it.items.forEach(describe);
    runs.set(it, describeRun(it, o));
  };
  items.forEach(describe);

  // Header widths: the name in bold, address lines in monospace.
  const half = drafted.map(
    (c) =>
      Math.max(c.name.length * o.nameCharWidth, ...c.addrs.map((a) => a.length * o.charWidth)) / 2,
  );
  const n = drafted.length;
  const gaps = drafted.slice(1).map((_, i) => Math.max(o.columnMin, half[i]! + half[i + 1]! + 16));
  const needs: Array<{ a: number; b: number; need: number }> = [];
  // A loop goes left of the last column (its row has no other arrow, so the space between the
  // last two lifelines is free), right of any other; either way the gap on that side holds it.
  const lastColumn = n - 1;
  const loopSide = (c: number): 'left' | 'right' => (c === lastColumn && c > 0 ? 'left' : 'right');
  for (const it of items) {
    if (it.kind === 'packet') {
      const d = it.d;
      if (d.from === d.to) {
        const c = d.from;
        const [a, b] = loopSide(c) === 'left' ? [c - 1, c] : [c, c + 1];
        if (b < n) needs.push({ a, b, need: textChars(d) * o.charWidth + o.loopWidth + 24 });
        continue;
      }
      needs.push({
        a: Math.min(d.from, d.to),
        b: Math.max(d.from, d.to),
        need: textChars(d) * o.charWidth + 24,
      });
    } else {
      const [a, b] = span(it.ds);
      const r = runs.get(it)!;
      if (a !== b)
        needs.push({ a, b, need: Math.max(r.text.length, r.detail.length) * o.charWidth + 48 });
    }
  }
  needs.sort((x, y) => x.b - x.a - (y.b - y.a));
  for (const { a, b, need } of needs) {
    const want = Math.min(need, o.columnMax * (b - a));
    const have = gaps.slice(a, b).reduce((s, g) => s + g, 0);
    if (have < want) for (let i = a; i < b; i++) gaps[i]! += (want - have) / (b - a);
  }
  const x0 = o.timeWidth + Math.max(48, (half[0] ?? 0) + 8);
  const xs = [x0];
  for (const g of gaps) xs.push(xs.at(-1)! + Math.round(g));
  const columns: LadderColumn[] = drafted.map((c, i) => ({ ...c, x: xs[i]! }));
  const sideOf = (d: Draft) => loopSide(d.from);

  // Rows, top to bottom.
  const addrLines = Math.max(1, ...drafted.map((c) => c.addrs.length));
  const headerHeight = o.headerHeight + (addrLines - 1) * o.addrLine;
  const rows: Ladder['rows'] = [];
  const lifelines: Ladder['lifelines'] = [];
  const noteMarks: LadderNoteMark[] = [];
  const rowOfFrame = new Map<number, number>();
  const placed: Array<{ item: Item; y: number }> = [];
  let y = headerHeight;
  let segmentStart = y;
  items.forEach((it, i) => {
    if (i > 0) {
      const gap = startOf(it) - endOf(items[i - 1]!);
      if (gap >= o.gapThresholdS) {
        lifelines.push([segmentStart, y + 6]);
        rows.push({ kind: 'gap', y: y + o.gapHeight / 2, seconds: gap, text: formatGap(gap) });
        y += o.gapHeight;
        segmentStart = y - 6;
      }
    }
    const rowY = y + o.rowHeight / 2;
    placed.push({ item: it, y: rowY });
    if (it.kind === 'packet') {
      const d = it.d;
      const self = d.from === d.to;
      rows.push({
        kind: 'packet',
        frame: d.frame,
        t: d.p.t,
        from: d.from,
        to: d.to,
        self,
        side: sideOf(d),
        x1: columns[d.from]!.x,
        x2: columns[d.to]!.x,
        y: rowY,
        time: formatTime(d.p.t),
        marks: d.marks,
        label: d.label,
        detail: d.detail,
        classes: d.classes,
        ...(d.note ? { note: d.note.text } : {}),
      });
      rowOfFrame.set(d.frame, rowY);
      y += o.rowHeight + (d.note ? o.noteHeight : 0);
    } else {
      const [a, b] = span(it.ds);
      const r = runs.get(it)!;
      const classes = [...new Set(it.ds.flatMap((d) => d.classes))].filter(
        (c) => c !== 'self' && c !== 'retransmission',
      );
      rows.push({
        kind: 'run',
        reason: it.kind,
        frames: [it.ds[0]!.frame, it.ds.at(-1)!.frame],
        count: it.ds.length,
        unit: it.kind === 'repeat' ? it.unit : it.ds.length,
        repeats: it.kind === 'repeat' ? it.repeats : 1,
        t: [startOf(it), endOf(it)],
        from: a,
        to: b,
        x1: columns[a]!.x,
        x2: columns[b]!.x,
        y: rowY,
        time: formatTime(startOf(it)),
        text: r.text,
        detail: r.detail,
        classes,
      });
      y += o.rowHeight;
    }
  });
  y += 8;
  lifelines.push([segmentStart, y]);

  // Notes: under their packet's detail line; a span gets a bracket in the left gutter.
  for (const row of rows) {
    if (row.kind !== 'packet' || !row.note) continue;
    const note = drafts[row.frame - 1]!.note!;
    const fromY = note.from !== undefined ? rowOfFrame.get(note.from) : undefined;
    const loopX = row.side === 'left' ? row.x1 - o.loopWidth - 10 : row.x1 + o.loopWidth + 10;
    noteMarks.push({
      frame: row.frame,
      text: note.text,
      x: row.self ? loopX : (row.x1 + row.x2) / 2,
      y: row.y + (row.self ? 28 : 32),
      anchor: row.self ? (row.side === 'left' ? 'end' : 'start') : 'middle',
      ...(fromY !== undefined && fromY < row.y
        ? { bracket: { x: x0 - 22, y1: fromY - 8, y2: row.y + 8 } }
        : {}),
    });
  }

  // Brackets that overlap in height step left, one gutter lane each.
  const laneEnds: number[] = [];
  for (const m of [...noteMarks].sort((a, b) => (a.bracket?.y1 ?? 0) - (b.bracket?.y1 ?? 0))) {
    if (!m.bracket) continue;
    let k = laneEnds.findIndex((end) => end < m.bracket!.y1);
    if (k < 0) k = laneEnds.push(0) - 1;
    laneEnds[k] = m.bracket.y2;
    m.bracket.x -= 7 * k;
  }

  // Room on the right: half a header, or a self-loop and its left-aligned label.
  const last = columns.at(-1);
  const selfRoom = Math.max(
    0,
    ...drafts
      .filter((d) => d.from === d.to && sideOf(d) === 'right')
      .map(
        (d) => columns[d.from]!.x - (last?.x ?? 0) + o.loopWidth + 12 + textChars(d) * o.charWidth,
      ),
  );
  let width = Math.ceil((last?.x ?? x0) + Math.max(selfRoom, (half.at(-1) ?? 0) + 16));

  let lane: LadderLane | undefined;
  if (laneInput && laneInput.events.length > 0 && placed.length > 0) {
    lane = placeLane(laneInput, placed, width + 8, o);
    const chars = Math.max(
      laneInput.title.length * (o.nameCharWidth / o.laneCharWidth),
      (laneInput.subtitle ?? '').length,
      ...lane.items.flatMap((it) => it.lines.map((l) => l.length + 2)),
    );
    width = Math.ceil(lane.x + chars * o.laneCharWidth + 12);
  }

  const legend: LegendKey[] = [];
  const has = (c: ArrowClass) => drafts.some((d) => d.classes.includes(c));
  if (has('retransmission')) legend.push('retransmission');
  if (has('rst')) legend.push('rst');
  if (has('udp')) legend.push('udp');
  if (has('icmp')) legend.push('icmp');
  if (has('igmp')) legend.push('igmp');
  if (has('fragment')) legend.push('fragment');
  if (has('self')) legend.push('self');
  if (rows.some((r) => r.kind === 'gap')) legend.push('gap');
  if (rows.some((r) => r.kind === 'run' && r.reason === 'repeat')) legend.push('run');
  if (rows.some((r) => r.kind === 'run' && r.reason === 'elided')) legend.push('elided');

  const names = columns.map((c) => c.name);
  const tableRow = (d: Draft): LadderTableRow => ({
    frames: String(d.frame),
    time: formatTime(d.p.t),
    fromTo: `${names[d.from]} → ${names[d.to]}`,
    marks: d.marks,
    label: d.label,
    detail: d.detail,
    count: 1,
    classes: d.classes,
    ...(d.note ? { note: d.note.text } : {}),
  });
  const tableRows = (it: Item): LadderTableRow[] => {
    if (it.kind === 'packet') return [tableRow(it.d)];
    if (it.kind === 'elided') return it.items.flatMap(tableRows);
    const r = runs.get(it)!;
    const ends = [...new Set(it.ds.slice(0, it.unit).flatMap((d) => [d.from, d.to]))];
    const oneWay = it.ds.every((d) => d.from === it.ds[0]!.from && d.to === it.ds[0]!.to);
    return [
      {
        frames: `${it.ds[0]!.frame}–${it.ds.at(-1)!.frame}`,
        time: `+${formatSpan(startOf(it), endOf(it))}`,
        fromTo: oneWay
          ? `${names[it.ds[0]!.from]} → ${names[it.ds[0]!.to]}`
          : ends.map((c) => names[c]).join(' ↔ '),
        marks: [],
        label: r.text,
        detail: r.detail,
        count: it.ds.length,
        classes: [...new Set(it.ds.flatMap((d) => d.classes))],
      },
    ];
  };

  return {
    columns,
    rows,
    lifelines,
    headerHeight,
    width,
    height: Math.ceil(y),
    legend,
    notes: noteMarks,
    ...(lane ? { lane } : {}),
    table: items.flatMap(tableRows),
    packetCount: drafts.length,
    drawnCount: rows.filter((r) => r.kind === 'packet').length,
    mode,
  };
}

/**
 * Puts each event beside the last row that started at or before it (events before the first
 * packet go beside the first row). Up to three lines per row; more events are counted by name.
 */
function placeLane(
  input: LaneInput,
  placed: Array<{ item: Item; y: number }>,
  x: number,
  o: LadderOptions,
): LadderLane {
  const slots = placed.map(() => [] as string[]);
  // Stable: events placed at the same moment keep the order they were given in.
  const events = [...input.events].sort((a, b) => a.t - b.t);
  for (const e of events) {
    let slot = 0;
    for (let i = 0; i < placed.length; i++) if (startOf(placed[i]!.item) <= e.t) slot = i;
    slots[slot]!.push(e.text);
  }
  const perRow = Math.max(1, Math.floor((o.rowHeight - 8) / 13));
  const items = slots.flatMap((texts, i) => {
    if (texts.length === 0) return [];
    let lines = texts;
    if (lines.length > perRow) {
      // Counted by name; a trailing number (`CONNECT_RETRIED 13 ms`) becomes its range.
      const groups = new Map<string, { count: number; values: number[]; unit: string }>();
      for (const t of texts) {
        const m = /^(.*) (\d+(?:\.\d+)?) (ms|s)$/.exec(t);
        const key = m ? m[1]! : t;
        const g = groups.get(key) ?? { count: 0, values: [], unit: m?.[3] ?? '' };
        g.count++;
        if (m) g.values.push(Number(m[2]));
        groups.set(key, g);
      }
      lines = [...groups].map(([key, g]) => {
        const [lo, hi] = [Math.min(...g.values), Math.max(...g.values)];
        const value = g.values.length ? ` ${lo === hi ? lo : `${lo}–${hi}`} ${g.unit}` : '';
        return `${key}${value}${g.count > 1 ? ` ×${g.count}` : ''}`;
      });
    }
    if (lines.length > perRow)
      lines = [...lines.slice(0, perRow - 1), `+${lines.length - perRow + 1} more`];
    return [{ y: placed[i]!.y - 8, lines }];
  });
  return {
    x,
    title: input.title,
    subtitle: input.subtitle ?? '',
    caption: input.caption,
    items,
    count: events.length,
  };
}
