/**
 * Which lifelines a ladder has, and which lifeline each packet leaves from and arrives at.
 *
 * Three cases, decided from the capture itself:
 *  - Hosts (the default): one column per host that has an address, in the order the run lists
 *    them. A host without addresses (a bridge that only captures) can never be a packet's source
 *    or destination, so it gets no lifeline. An address no host lists gets its own column
 *    (`implicit`) rather than being dropped.
 *  - Ports: when every packet stays inside one host (loopback: 127.0.0.1 → 127.0.0.1), a host
 *    column would hold every arrow as a loop on itself. The endpoints that talk become the columns
 *    instead (`127.0.0.1:5140`). When there are more than `maxPortColumns`, the ports that only
 *    ever talk to one busy port (the clients of a listener) share a single column, labelled with
 *    their range and count; each arrow's detail line still names its exact ports.
 *  - Multicast: packets to a group address (224.0.0.0/4, ff00::/8) go to one `multicast` column
 *    that lists the groups, placed right after the hosts that send data to a group (senders on
 *    its left, members on its right); its arrows name their group in the detail line.
 */
import type { HostInfo, Packet } from '../../../labs/_lib/types.ts';

export interface ColumnDraft {
  name: string;
  addrs: string[];
  implicit: boolean;
  /** What the column stands for: a host, one port (or a group of ports), the multicast groups. */
  role: 'host' | 'port' | 'ports' | 'groups';
}

export interface ColumnAssignment {
  columns: ColumnDraft[];
  /** Per packet, the index of its source and destination column. */
  from: number[];
  to: number[];
  mode: 'hosts' | 'ports';
}

/** 224.0.0.0/4 or ff00::/8. */
export function isMulticast(addr: string): boolean {
  if (addr.includes(':')) return /^ff/i.test(addr);
  const first = Number(addr.split('.')[0]);
  return first >= 224 && first <= 239;
}

/** 127.0.0.0/8 or ::1. */
export function isLoopback(addr: string): boolean {
  return addr === '::1' || addr.startsWith('127.');
}

const portsOf = (p: Packet): [number, number] | undefined =>
  p.tcp ? [p.tcp.srcPort, p.tcp.dstPort] : p.udp ? [p.udp.srcPort, p.udp.dstPort] : undefined;

/** `127.0.0.1:5000`, `[::1]:5000`; the port may be a range (`43096–43412`). */
export function endpoint(addr: string, port: number | string): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** Lifelines and each packet's source/destination column. */
export function assignColumns(
  hosts: HostInfo[],
  packets: Packet[],
  opts: { maxPortColumns?: number } = {},
): ColumnAssignment {
  const maxPortColumns = opts.maxPortColumns ?? 4;
  const withAddrs = hosts.filter((h) => h.addrs.length > 0);
  const hostOf = (addr: string) => withAddrs.findIndex((h) => h.addrs.includes(addr));
  const inside = (p: Packet) => {
    const [s, d] = [p.ip.src, p.ip.dst];
    if (s === d || (isLoopback(s) && isLoopback(d))) return true;
    const hs = hostOf(s);
    return hs >= 0 && hs === hostOf(d);
  };
  if (packets.length > 0 && packets.every(inside) && packets.some((p) => portsOf(p)))
    return portColumns(packets, maxPortColumns);
  return hostColumns(withAddrs, packets);
}

function hostColumns(hosts: HostInfo[], packets: Packet[]): ColumnAssignment {
  const base: ColumnDraft[] = hosts.map((h) => ({
    name: h.name,
    addrs: [...h.addrs],
    implicit: false,
    role: 'host',
  }));
  const hostIndex = (addr: string) => base.findIndex((c) => c.addrs.includes(addr));

  // Multicast groups, in order of first appearance, and the hosts that send data to them.
  const groups: string[] = [];
  let lastSender = -1;
  for (const p of packets) {
    if (!isMulticast(p.ip.dst)) continue;
    if (!groups.includes(p.ip.dst)) groups.push(p.ip.dst);
    // IGMP/MLD reports come from members; a sender is whoever sends anything else to a group.
    if (p.igmp || p.icmp) continue;
    lastSender = Math.max(lastSender, hostIndex(p.ip.src));
  }
  const columns = [...base];
  let groupColumn = -1;
  if (groups.length > 0) {
    groupColumn = lastSender >= 0 ? lastSender + 1 : columns.length;
    columns.splice(groupColumn, 0, {
      name: 'multicast',
      addrs: groups,
      implicit: false,
      role: 'groups',
    });
  }
  const columnOf = (addr: string) => {
    if (groupColumn >= 0 && isMulticast(addr)) return groupColumn;
    let i = columns.findIndex((c) => c.role === 'host' && c.addrs.includes(addr));
    if (i < 0) i = columns.findIndex((c) => c.implicit && c.addrs.includes(addr));
    if (i < 0) i = columns.push({ name: addr, addrs: [addr], implicit: true, role: 'host' }) - 1;
    return i;
  };
  const from = packets.map((p) => columnOf(p.ip.src));
  const to = packets.map((p) => columnOf(p.ip.dst));
  return { columns, from, to, mode: 'hosts' };
}

function portColumns(packets: Packet[], maxPortColumns: number): ColumnAssignment {
  const ends = packets.map((p) => {
    const ports = portsOf(p);
    return ports
      ? [endpoint(p.ip.src, ports[0]), endpoint(p.ip.dst, ports[1])]
      : [p.ip.src, p.ip.dst];
  });
  const order: string[] = [];
  const peers = new Map<string, Set<string>>();
  const portOf = new Map<string, { addr: string; port?: number }>();
  packets.forEach((p, i) => {
    const [s, d] = ends[i]!;
    const ports = portsOf(p);
    portOf.set(s!, { addr: p.ip.src, port: ports?.[0] });
    portOf.set(d!, { addr: p.ip.dst, port: ports?.[1] });
    for (const [a, b] of [
      [s!, d!],
      [d!, s!],
    ] as const) {
      if (!order.includes(a)) order.push(a);
      peers.set(a, (peers.get(a) ?? new Set()).add(b));
    }
  });

  // Busy ports talk to several peers; a spoke talks only to one busy port.
  const hubs = order.filter((e) => peers.get(e)!.size >= 2);
  const spokes = order.filter((e) => {
    const only = [...peers.get(e)!];
    return only.length === 1 && only[0] !== e && hubs.includes(only[0]!);
  });
  const group = order.length > maxPortColumns && hubs.length > 0 && spokes.length >= 2;

  const columns: ColumnDraft[] = [];
  const index = new Map<string, number>();
  if (group) {
    const ports = spokes.map((e) => portOf.get(e)!.port ?? 0).sort((a, b) => a - b);
    const addrs = [...new Set(spokes.map((e) => portOf.get(e)!.addr))];
    const range = `${ports[0]}–${ports.at(-1)}`;
    columns.push({
      name: addrs.length === 1 ? endpoint(addrs[0]!, range) : 'ports',
      addrs: [`${spokes.length} ports`],
      implicit: false,
      role: 'ports',
    });
    for (const e of spokes) index.set(e, 0);
  }
  // Clients left of the ports they talk to, so that their arrows cross as few lifelines as possible.
  const ordered = [
    ...order.filter((e) => spokes.includes(e)),
    ...order.filter((e) => !spokes.includes(e)),
  ];
  for (const e of ordered) {
    if (index.has(e)) continue;
    const role = portOf.get(e)!.port === undefined ? 'host' : 'port';
    index.set(e, columns.push({ name: e, addrs: [], implicit: false, role }) - 1);
  }
  const from = ends.map(([s]) => index.get(s!)!);
  const to = ends.map(([, d]) => index.get(d!)!);
  return { columns, from, to, mode: 'ports' };
}
