/**
 * The narrow-path topology the MTU and MSS chapter's path-MTU labs share:
 *
 *     a ──1500── r1 ──1280── r2 ──1500── b
 *
 * Both ends sit on 1500-byte links, so each advertises MSS 1460 and sends 1500-byte packets; only
 * the link between the two routers is narrower. Forwarding is on in r1 and r2 only. Addresses:
 * a 198.51.100.1/24, r1 198.51.100.254/24 and 203.0.113.129/25, r2 203.0.113.130/25 and
 * 203.0.113.126/25, b 203.0.113.1/25.
 */
import type { Host, LabContext } from '../_lib/context.ts';

export const A = '198.51.100.1';
export const R1 = '198.51.100.254';
export const B = '203.0.113.1';
export const NARROW_MTU = 1280;

export interface NarrowPath {
  a: Host;
  r1: Host;
  r2: Host;
  b: Host;
  /** a's interface towards r1. */
  aIf: string;
}

export async function narrowPath(
  ctx: LabContext,
  hostSysctls: Record<string, string> = {},
): Promise<NarrowPath> {
  const a = await ctx.host('a', { sysctls: hostSysctls });
  const r1 = await ctx.host('r1', { sysctls: { 'net.ipv4.ip_forward': '1' } });
  const r2 = await ctx.host('r2', { sysctls: { 'net.ipv4.ip_forward': '1' } });
  const b = await ctx.host('b', { sysctls: hostSysctls });
  const { ifA: aIf } = await ctx.link(a, r1, { a: `${A}/24`, b: `${R1}/24`, mtu: 1500 });
  await ctx.link(r1, r2, { a: '203.0.113.129/25', b: '203.0.113.130/25', mtu: NARROW_MTU });
  await ctx.link(r2, b, { a: '203.0.113.126/25', b: `${B}/25`, mtu: 1500 });
  await a.run(['ip', 'route', 'add', 'default', 'via', R1]);
  await r1.run(['ip', 'route', 'add', '203.0.113.0/25', 'via', '203.0.113.130']);
  await r2.run(['ip', 'route', 'add', '198.51.100.0/24', 'via', '203.0.113.129']);
  await b.run(['ip', 'route', 'add', 'default', 'via', '203.0.113.126']);
  return { a, r1, r2, b, aIf };
}

/** `ip -j route get DST` in a host: the route the kernel would use now, with any cached PMTU. */
export async function routeGet(host: Host, dst: string): Promise<Record<string, unknown>> {
  const [route] = JSON.parse(await host.run(['ip', '-j', 'route', 'get', dst])) as Array<
    Record<string, unknown>
  >;
  return route;
}

export { waitUntil } from '../_lib/wait.ts';
