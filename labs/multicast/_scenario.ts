/**
 * The network the Multicast chapter's labs share: one Ethernet segment, built as a Linux bridge
 * in a "switch" namespace, with a veth from each host plugged into it. Real multicast: a frame
 * to 01:00:5e:01:02:03 leaves the sender once and the bridge copies it to every port.
 *
 * The bridge's IGMP snooping is off, so it floods multicast like a plain switch without
 * snooping; the capture runs on the bridge device itself, which receives one copy of every
 * frame that enters any port: each datagram and each IGMP message appears once.
 */
import type { Capture, Host, LabContext } from '../_lib/types.ts';
import type { LabEvent, Packet } from '../_lib/types.ts';

export const GROUP = '239.1.2.3';
/** A second group, joined only by hosts that must not hear GROUP; it carries their "end" marker. */
export const OTHER_GROUP = '239.1.2.4';
export const PORT = 5400;
/** A receiver's safety net: the "end" marker normally arrives within milliseconds. */
export const RECV_TIMEOUT_MS = 15_000;

export interface Segment {
  switchHost: Host;
  hosts: Record<string, Host>;
  addrs: Record<string, string>;
  capture: Capture;
}

/**
 * Creates the switch and one host per name, host i at 198.51.100.(i+1)/24 on its `eth0`.
 * igmpVersion pins net.ipv4.conf.all.force_igmp_version in every host (0 = the kernel's choice).
 */
export async function segment(
  ctx: LabContext,
  names: string[],
  igmpVersion: 0 | 2 | 3,
): Promise<Segment> {
  const switchHost = await ctx.host('switch');
  await switchHost.run(['ip', 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
  await switchHost.run(['ip', 'link', 'set', 'br0', 'up']);
  const hosts: Record<string, Host> = {};
  const addrs: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    const host = await ctx.host(name, {
      sysctls: {
        'net.ipv4.conf.all.force_igmp_version': String(igmpVersion),
        'net.ipv4.conf.default.force_igmp_version': String(igmpVersion),
      },
    });
    const addr = `198.51.100.${i + 1}`;
    // The host's end is eth0; the switch's end, named after the host, becomes a bridge port.
    await host.run([
      'ip',
      'link',
      'add',
      'eth0',
      'type',
      'veth',
      'peer',
      'name',
      name,
      'netns',
      'switch',
    ]);
    await switchHost.run(['ip', 'link', 'set', name, 'master', 'br0']);
    await switchHost.run(['ip', 'link', 'set', name, 'up']);
    await host.run(['ip', 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
    await host.run(['ip', 'link', 'set', 'eth0', 'up']);
    host.addrs.push(addr);
    hosts[name] = host;
    addrs[name] = addr;
  }
  const capture = await ctx.capture(switchHost, 'br0');
  return { switchHost, hosts, addrs, capture };
}

/** The payloads a receiver reported, without the "end" marker. */
export function payloads(events: LabEvent[]): string[] {
  return events
    .filter((e) => e.event === 'datagram' && e.payload !== 'end')
    .map((e) => String(e.payload));
}

/** Counts per label: `{ ttl1: 3, ttl0: 0 }` from payloads like `ttl1-2`. */
export function countByLabel(received: string[], labels: string[]): Record<string, number> {
  return Object.fromEntries(
    labels.map((l) => [l, received.filter((p) => p.startsWith(`${l}-`)).length]),
  );
}

/** IGMP packets sent by one address, as short strings: `v3 report to_ex 239.1.2.3`, `v2 leave 239.1.2.3`. */
export function igmpFrom(packets: Packet[], src: string): string[] {
  return packets
    .filter((p) => p.igmp && p.ip.src === src)
    .map((p) => {
      const m = p.igmp!;
      if (m.records) return m.records.map((r) => `v3 report ${r.mode} ${r.group}`).join('; ');
      return `v${m.version} ${m.kind} ${m.group}`;
    });
}

/** UDP datagrams to a group on the wire. */
export function udpTo(packets: Packet[], group: string): Packet[] {
  return packets.filter((p) => p.udp && p.ip.dst === group);
}
