/**
 * Pure pcap decoder: turns the bytes of a classic pcap file (as written by `labs/probes/capture.c`
 * or by tcpdump) into `Packet`s, and formats a `Packet` as a tcpdump-like one-line summary.
 *
 * Supported: pcap micro- and nanosecond magic in either byte order (not pcapng); link types
 * LINUX_SLL (113), LINUX_SLL2 (276), ETHERNET (1) and RAW (101, 228 IPv4, 229 IPv6); IPv4 and
 * IPv6 (with extension headers and the fragment header); TCP, UDP, ICMP, ICMPv6, IGMP v1–v3.
 *
 * Only IP packets become `Packet`s (ARP and the like are skipped); `n` counts the returned packets
 * from 0 and `t` is measured from the first of them. Sequence numbers are made relative per
 * direction of each TCP connection, like tcpdump does.
 */
import type { IgmpMessage, IgmpRecord, Packet, TcpOptions } from './types.ts';

export interface DecodeOptions {
  /** Interface name to put on every packet (e.g. the IFNAME the capture was bound to). */
  iface?: string;
  /** ifindex → name, for SLL2 captures (which carry the ifindex of each packet). */
  ifnames?: Record<number, string>;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_RAW_ALT = 12; // LINKTYPE_RAW on some BSDs; harmless here.
const LINKTYPE_IPV4 = 228;
const LINKTYPE_IPV6 = 229;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;
const PACKET_OUTGOING = 4;

type Endian = 'le' | 'be';

/** Decodes a classic pcap file. Throws on a bad header; stops quietly at a truncated last record. */
export function decodePcap(buf: Buffer, opts: DecodeOptions = {}): Packet[] {
  if (buf.length < 24) throw new Error(`pcap: file too short (${buf.length} bytes)`);
  const magicLE = buf.readUInt32LE(0);
  let endian: Endian;
  let nano: boolean;
  if (magicLE === 0xa1b2c3d4) [endian, nano] = ['le', false];
  else if (magicLE === 0xd4c3b2a1) [endian, nano] = ['be', false];
  else if (magicLE === 0xa1b23c4d) [endian, nano] = ['le', true];
  else if (magicLE === 0x4d3cb2a1) [endian, nano] = ['be', true];
  else if (magicLE === 0x0a0d0d0a) throw new Error('pcap: pcapng files are not supported');
  else throw new Error(`pcap: bad magic 0x${magicLE.toString(16)}`);
  const u32 = (off: number): number =>
    endian === 'le' ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
  const linktype = u32(20) & 0xffff;

  const tcpState = new Map<string, number>(); // "src.port>dst.port" → ISN of that sender
  const packets: Packet[] = [];
  let t0sec = 0;
  let t0frac = 0;
  for (let off = 24; off + 16 <= buf.length;) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const start = off + 16;
    if (start + incl > buf.length) break; // truncated last record
    off = start + incl;
    const frame = buf.subarray(start, start + incl);

    const link = decodeLink(linktype, frame, opts);
    if (!link) continue;
    const ip =
      link.ethertype === 0x0800
        ? decodeIPv4(frame, link.offset)
        : link.ethertype === 0x86dd
          ? decodeIPv6(frame, link.offset)
          : undefined;
    if (!ip) continue;

    if (packets.length === 0) [t0sec, t0frac] = [sec, frac];
    const fracDiff = nano ? (frac - t0frac) / 1e9 : (frac - t0frac) / 1e6;
    const t = Math.round((sec - t0sec + fracDiff) * 1e6) / 1e6;

    const p: Packet = { n: packets.length, t, ip: ip.header };
    if (link.iface !== undefined) p.iface = link.iface;
    if (link.dir !== undefined) p.dir = link.dir;
    const firstFragment = !ip.header.fragOffset;
    if (firstFragment) decodeTransport(p, frame, ip.l4, ip.l4Length, tcpState);
    packets.push(p);
  }
  return packets;
}

interface Link {
  ethertype: number;
  offset: number;
  dir?: 'in' | 'out';
  iface?: string;
}

function decodeLink(linktype: number, f: Buffer, opts: DecodeOptions): Link | undefined {
  let link: Link;
  switch (linktype) {
    case LINKTYPE_LINUX_SLL: {
      if (f.length < 16) return undefined;
      link = {
        ethertype: f.readUInt16BE(14),
        offset: 16,
        dir: f.readUInt16BE(0) === PACKET_OUTGOING ? 'out' : 'in',
      };
      if (opts.iface !== undefined) link.iface = opts.iface;
      break;
    }
    case LINKTYPE_LINUX_SLL2: {
      if (f.length < 20) return undefined;
      link = {
        ethertype: f.readUInt16BE(0),
        offset: 20,
        dir: f[10] === PACKET_OUTGOING ? 'out' : 'in',
      };
      const name = opts.ifnames?.[f.readUInt32BE(4)] ?? opts.iface;
      if (name !== undefined) link.iface = name;
      break;
    }
    case LINKTYPE_ETHERNET: {
      if (f.length < 14) return undefined;
      link = { ethertype: f.readUInt16BE(12), offset: 14 };
      if (opts.iface !== undefined) link.iface = opts.iface;
      break;
    }
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_ALT:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6: {
      if (f.length < 1) return undefined;
      const v = f[0] >> 4;
      link = { ethertype: v === 4 ? 0x0800 : v === 6 ? 0x86dd : 0, offset: 0 };
      if (opts.iface !== undefined) link.iface = opts.iface;
      break;
    }
    default:
      throw new Error(`pcap: unsupported link type ${linktype}`);
  }
  // 802.1Q / 802.1ad VLAN tags.
  while ((link.ethertype === 0x8100 || link.ethertype === 0x88a8) && link.offset + 4 <= f.length) {
    link.ethertype = f.readUInt16BE(link.offset + 2);
    link.offset += 4;
  }
  return link;
}

interface DecodedIP {
  header: Packet['ip'];
  /** Offset of the transport header in the frame. */
  l4: number;
  /** Transport bytes according to the IP header (not counting link-layer padding). */
  l4Length: number;
}

function decodeIPv4(f: Buffer, o: number): DecodedIP | undefined {
  if (f.length < o + 20 || f[o] >> 4 !== 4) return undefined;
  const ihl = (f[o] & 0x0f) * 4;
  if (ihl < 20) return undefined;
  let length = f.readUInt16BE(o + 2);
  // Total length 0: a BIG TCP GSO super-packet larger than 64 KiB; the capture holds all of it.
  if (length === 0) length = f.length - o;
  const fl = f.readUInt16BE(o + 6);
  return {
    header: {
      version: 4,
      src: `${f[o + 12]}.${f[o + 13]}.${f[o + 14]}.${f[o + 15]}`,
      dst: `${f[o + 16]}.${f[o + 17]}.${f[o + 18]}.${f[o + 19]}`,
      length,
      ttl: f[o + 8],
      id: f.readUInt16BE(o + 4),
      df: (fl & 0x4000) !== 0,
      mf: (fl & 0x2000) !== 0,
      fragOffset: fl & 0x1fff,
      protocol: f[o + 9],
    },
    l4: o + ihl,
    l4Length: Math.max(0, length - ihl),
  };
}

function ipv6String(f: Buffer, o: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(f.readUInt16BE(o + 2 * i));
  // RFC 5952: compress the longest run (≥ 2) of zero words, the first one on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  // IPv4-mapped ::ffff:a.b.c.d
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${f[o + 12]}.${f[o + 13]}.${f[o + 14]}.${f[o + 15]}`;
  }
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

function decodeIPv6(f: Buffer, o: number): DecodedIP | undefined {
  if (f.length < o + 40 || f[o] >> 4 !== 6) return undefined;
  let payload = f.readUInt16BE(o + 4);
  // Payload length 0: jumbogram / BIG TCP super-packet; take what was captured.
  if (payload === 0) payload = f.length - o - 40;
  const header: Packet['ip'] = {
    version: 6,
    src: ipv6String(f, o + 8),
    dst: ipv6String(f, o + 24),
    length: 40 + payload,
    ttl: f[o + 7],
    protocol: f[o + 6],
  };
  // Walk the extension headers to the upper-layer protocol.
  let next = f[o + 6];
  let p = o + 40;
  const end = o + 40 + payload;
  for (;;) {
    if (next === 0 || next === 43 || next === 60) {
      if (p + 2 > f.length) break;
      next = f[p];
      p += (f[p + 1] + 1) * 8;
    } else if (next === 51) {
      if (p + 2 > f.length) break;
      next = f[p];
      p += (f[p + 1] + 2) * 4;
    } else if (next === 44) {
      if (p + 8 > f.length) break;
      const offm = f.readUInt16BE(p + 2);
      header.fragOffset = offm >> 3;
      header.mf = (offm & 1) !== 0;
      header.id = f.readUInt32BE(p + 4);
      next = f[p];
      p += 8;
    } else break;
  }
  header.protocol = next;
  return { header, l4: p, l4Length: Math.max(0, end - p) };
}

// tcpdump's order of flag letters (print-tcp.c, tcp_flag_values).
const FLAG_LETTERS: Array<[number, string]> = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
  [0x100, 'e'],
];

const TCP_OPTION_NAMES: Record<number, string> = {
  0: 'eol',
  1: 'nop',
  2: 'mss',
  3: 'wscale',
  4: 'sackOK',
  5: 'sack',
  6: 'echo',
  7: 'echoreply',
  8: 'TS',
  11: 'cc',
  12: 'ccnew',
  13: 'ccecho',
  19: 'md5',
  27: 'qs',
  28: 'uto',
  29: 'tcp-ao',
  30: 'mptcp',
  34: 'tfo',
  253: 'exp',
  254: 'exp',
};

function decodeTcpOptions(f: Buffer, start: number, end: number): TcpOptions {
  const o: TcpOptions = { order: [] };
  let p = start;
  while (p < end) {
    const kind = f[p];
    o.order.push(TCP_OPTION_NAMES[kind] ?? `unknown-${kind}`);
    if (kind === 0) break;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) break;
    const len = f[p + 1];
    if (len < 2 || p + len > end) break;
    if (kind === 2 && len === 4) o.mss = f.readUInt16BE(p + 2);
    else if (kind === 3 && len === 3) o.wscale = f[p + 2];
    else if (kind === 4 && len === 2) o.sackPermitted = true;
    else if (kind === 5) {
      const blocks: Array<[number, number]> = [];
      for (let b = p + 2; b + 8 <= p + len; b += 8)
        blocks.push([f.readUInt32BE(b), f.readUInt32BE(b + 4)]);
      o.sack = blocks;
    } else if (kind === 8 && len === 10)
      o.timestamp = { val: f.readUInt32BE(p + 2), ecr: f.readUInt32BE(p + 6) };
    p += len;
  }
  return o;
}

function decodeTransport(
  p: Packet,
  f: Buffer,
  l4: number,
  l4Length: number,
  isns: Map<string, number>,
): void {
  const proto = p.ip.protocol;
  if (proto === 6) {
    if (l4 + 20 > f.length) return;
    const doff = (f[l4 + 12] >> 4) * 4;
    if (doff < 20) return;
    const fl = ((f[l4 + 12] & 0x01) << 8) | f[l4 + 13];
    const flags =
      FLAG_LETTERS.filter(([bit]) => fl & bit)
        .map(([, c]) => c)
        .join('') || 'none';
    const srcPort = f.readUInt16BE(l4);
    const dstPort = f.readUInt16BE(l4 + 2);
    const seq = f.readUInt32BE(l4 + 4);
    const ackNum = f.readUInt32BE(l4 + 8);
    const syn = (fl & 0x02) !== 0;
    const ack = (fl & 0x10) !== 0;
    // Per-direction ISN. A self-connected socket has the same key both ways: one ISN for both.
    const key = `${p.ip.src}.${srcPort}>${p.ip.dst}.${dstPort}`;
    const revKey = `${p.ip.dst}.${dstPort}>${p.ip.src}.${srcPort}`;
    if (syn || !isns.has(key)) isns.set(key, seq);
    const isn = isns.get(key) as number;
    const peerIsn = isns.get(revKey);
    p.tcp = {
      srcPort,
      dstPort,
      flags,
      syn,
      ack,
      fin: (fl & 0x01) !== 0,
      rst: (fl & 0x04) !== 0,
      psh: (fl & 0x08) !== 0,
      urg: (fl & 0x20) !== 0,
      seq,
      ackNum,
      relSeq: (seq - isn) >>> 0,
      window: f.readUInt16BE(l4 + 14),
      options: decodeTcpOptions(f, l4 + 20, Math.min(l4 + doff, f.length)),
      payloadLength: Math.max(0, l4Length - doff),
    };
    if (ack && peerIsn !== undefined) p.tcp.relAck = (ackNum - peerIsn) >>> 0;
  } else if (proto === 17) {
    if (l4 + 8 > f.length) return;
    let length = f.readUInt16BE(l4 + 4);
    if (length === 0) length = l4Length; // jumbo / GSO super-datagram
    p.udp = {
      srcPort: f.readUInt16BE(l4),
      dstPort: f.readUInt16BE(l4 + 2),
      length,
      payloadLength: Math.max(0, length - 8),
    };
  } else if ((proto === 1 && p.ip.version === 4) || (proto === 58 && p.ip.version === 6)) {
    if (l4 + 8 > f.length) return;
    const type = f[l4];
    const code = f[l4 + 1];
    const v6 = proto === 58;
    p.icmp = {
      type,
      code,
      description: v6 ? icmp6Description(type, code) : icmpDescription(type, code),
    };
    if (!v6 && type === 3 && code === 4) p.icmp.mtu = f.readUInt16BE(l4 + 6);
    if (v6 && type === 2) p.icmp.mtu = f.readUInt32BE(l4 + 4);
  } else if (proto === 2 && p.ip.version === 4) {
    const igmp = decodeIgmp(f, l4, Math.min(f.length, l4 + l4Length));
    if (igmp) p.igmp = igmp;
  }
}

const IGMP_RECORD_MODES = ['', 'is_in', 'is_ex', 'to_in', 'to_ex', 'allow', 'block'];

const ipv4At = (f: Buffer, o: number): string => `${f[o]}.${f[o + 1]}.${f[o + 2]}.${f[o + 3]}`;

/** IGMP header and, for a v3 report, its group records; stops at the captured end. */
function decodeIgmp(f: Buffer, o: number, end: number): IgmpMessage | undefined {
  if (o + 8 > end) return undefined;
  const type = f[o];
  const group = ipv4At(f, o + 4);
  switch (type) {
    // RFC 3376 §7.1: an 8-byte query is v1 (max resp code 0) or v2; 12 bytes or more is v3.
    case 0x11:
      return { type, version: end - o >= 12 ? 3 : f[o + 1] === 0 ? 1 : 2, kind: 'query', group };
    case 0x12:
      return { type, version: 1, kind: 'report', group };
    case 0x16:
      return { type, version: 2, kind: 'report', group };
    case 0x17:
      return { type, version: 2, kind: 'leave', group };
    case 0x22: {
      const records: IgmpRecord[] = [];
      const count = f.readUInt16BE(o + 6);
      let r = o + 8;
      for (let i = 0; i < count && r + 8 <= end; i++) {
        const rtype = f[r];
        const aux = f[r + 1] * 4;
        const nsrc = f.readUInt16BE(r + 2);
        const sources: string[] = [];
        for (let s = 0; s < nsrc && r + 8 + 4 * s + 4 <= end; s++)
          sources.push(ipv4At(f, r + 8 + 4 * s));
        records.push({
          type: rtype,
          mode: IGMP_RECORD_MODES[rtype] ?? `type ${rtype}`,
          group: ipv4At(f, r + 4),
          sources,
        });
        r += 8 + 4 * nsrc + aux;
      }
      return { type, version: 3, kind: 'report', records };
    }
    default:
      return { type, version: 2, kind: `type ${type}`, group };
  }
}

/** tcpdump's wording: `igmp v2 report 239.1.2.3`, `igmp v3 report, 1 group record(s) [gaddr ...]`. */
function formatIgmp(m: IgmpMessage): string {
  if (m.records) {
    const recs = m.records
      .map((r) => ` [gaddr ${r.group} ${r.mode}, ${r.sources.length} source(s)]`)
      .join('');
    return `igmp v3 report, ${m.records.length} group record(s)${recs}`;
  }
  if (m.kind === 'query')
    return `igmp query v${m.version}${m.group && m.group !== '0.0.0.0' ? ` [gaddr ${m.group}]` : ''}`;
  if (m.kind === 'leave') return `igmp leave ${m.group}`;
  if (m.kind === 'report') return `igmp v${m.version} report ${m.group}`;
  return `igmp ${m.kind}`;
}

const ICMP_UNREACH = [
  'net unreachable',
  'host unreachable',
  'protocol unreachable',
  'port unreachable',
  'fragmentation needed',
  'source route failed',
  'destination network unknown',
  'destination host unknown',
  'source host isolated',
  'network administratively prohibited',
  'host administratively prohibited',
  'net unreachable for TOS',
  'host unreachable for TOS',
  'communication administratively prohibited',
  'host precedence violation',
  'precedence cutoff in effect',
];

function icmpDescription(type: number, code: number): string {
  switch (type) {
    case 0:
      return 'echo reply';
    case 3:
      return ICMP_UNREACH[code] ?? `destination unreachable code ${code}`;
    case 4:
      return 'source quench';
    case 5:
      return (
        [
          'redirect for network',
          'redirect for host',
          'redirect for TOS and network',
          'redirect for TOS and host',
        ][code] ?? 'redirect'
      );
    case 8:
      return 'echo request';
    case 9:
      return 'router advertisement';
    case 10:
      return 'router solicitation';
    case 11:
      return code === 1 ? 'fragment reassembly time exceeded' : 'time exceeded in-transit';
    case 12:
      return 'parameter problem';
    case 13:
      return 'time stamp request';
    case 14:
      return 'time stamp reply';
    default:
      return `type ${type} code ${code}`;
  }
}

const ICMP6_UNREACH = [
  'no route to destination',
  'administratively prohibited',
  'beyond scope of source address',
  'address unreachable',
  'port unreachable',
  'source address failed ingress/egress policy',
  'reject route to destination',
];

function icmp6Description(type: number, code: number): string {
  switch (type) {
    case 1:
      return ICMP6_UNREACH[code] ?? `destination unreachable code ${code}`;
    case 2:
      return 'packet too big';
    case 3:
      return code === 1 ? 'fragment reassembly time exceeded' : 'hop limit exceeded in transit';
    case 4:
      return (
        ['erroneous header field', 'unrecognized next header', 'unrecognized IPv6 option'][code] ??
        'parameter problem'
      );
    case 128:
      return 'echo request';
    case 129:
      return 'echo reply';
    case 130:
      return 'multicast listener query';
    case 131:
      return 'multicast listener report';
    case 132:
      return 'multicast listener done';
    case 133:
      return 'router solicitation';
    case 134:
      return 'router advertisement';
    case 135:
      return 'neighbor solicitation';
    case 136:
      return 'neighbor advertisement';
    case 137:
      return 'redirect';
    case 143:
      return 'multicast listener report v2';
    default:
      return `type ${type} code ${code}`;
  }
}

function formatOptions(o: TcpOptions, peerIsn: number | undefined): string {
  const parts = o.order.map((name) => {
    switch (name) {
      case 'mss':
        return o.mss !== undefined ? `mss ${o.mss}` : name;
      case 'wscale':
        return o.wscale !== undefined ? `wscale ${o.wscale}` : name;
      case 'TS':
        return o.timestamp ? `TS val ${o.timestamp.val} ecr ${o.timestamp.ecr}` : name;
      case 'sack': {
        const blocks = o.sack ?? [];
        const rel = (x: number): number => (peerIsn === undefined ? x : (x - peerIsn) >>> 0);
        return `sack ${blocks.length} ${blocks.map(([l, r]) => `{${rel(l)}:${rel(r)}}`).join('')}`;
      }
      default:
        return name;
    }
  });
  return parts.join(',');
}

/** A tcpdump-like one-line summary, with relative TCP sequence numbers and fragment details. */
export function formatPacket(p: Packet): string {
  const t = p.t.toFixed(6);
  const ip = p.ip;
  const fragmented = !!ip.mf || !!ip.fragOffset;
  const frag = fragmented
    ? `frag id ${ip.id}, offset ${(ip.fragOffset ?? 0) * 8}, flags [${ip.mf ? '+' : 'none'}]`
    : '';
  if (p.tcp) {
    const c = p.tcp;
    let s = `${t} ${ip.src}.${c.srcPort} > ${ip.dst}.${c.dstPort}: Flags [${c.flags}]`;
    if (c.payloadLength > 0 || c.syn || c.fin || c.rst) {
      s += `, seq ${c.relSeq}`;
      if (c.payloadLength > 0) s += `:${(c.relSeq + c.payloadLength) >>> 0}`;
    }
    if (c.ack) s += `, ack ${c.relAck ?? c.ackNum}`;
    s += `, win ${c.window}`;
    if (c.options.order.length) {
      const peerIsn = c.relAck !== undefined ? (c.ackNum - c.relAck) >>> 0 : undefined;
      s += `, options [${formatOptions(c.options, peerIsn)}]`;
    }
    s += `, length ${c.payloadLength}`;
    return fragmented ? `${s}, ${frag}` : s;
  }
  if (p.udp) {
    const s = `${t} ${ip.src}.${p.udp.srcPort} > ${ip.dst}.${p.udp.dstPort}: UDP, length ${p.udp.payloadLength}`;
    return fragmented ? `${s}, ${frag}` : s;
  }
  // IP payload bytes (assuming no IPv4 options; an IPv6 fragment header is not payload).
  const hdr = ip.version === 4 ? 20 : ip.id !== undefined ? 48 : 40;
  if (p.icmp) {
    const kind = ip.version === 4 ? 'ICMP' : 'ICMP6';
    const mtu = p.icmp.mtu !== undefined ? ` (mtu ${p.icmp.mtu})` : '';
    return `${t} ${ip.src} > ${ip.dst}: ${kind} ${p.icmp.description}${mtu}, length ${Math.max(0, ip.length - hdr)}`;
  }
  if (p.igmp) return `${t} ${ip.src} > ${ip.dst}: ${formatIgmp(p.igmp)}, ttl ${ip.ttl}`;
  return `${t} ${ip.src} > ${ip.dst}: ${fragmented ? `${frag}, ` : ''}ip-proto-${ip.protocol}, length ${Math.max(0, ip.length - hdr)}`;
}
