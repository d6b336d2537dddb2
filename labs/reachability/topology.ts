/**
 * The Reachability chapter's topologies.
 *
 *   direct:  client 198.51.100.1 ──── server 198.51.100.2
 *   routed:  client 198.51.100.1 ── router 198.51.100.254 | 203.0.113.254 ── server 203.0.113.1
 *
 * MTU 1500 everywhere, forwarding on in the router only, permanent neighbours (no ARP), a
 * capture on the client. Failures are made inside the router (`ip route add prohibit|blackhole`),
 * never by taking the client's own link down, which would fail locally instead of on the path.
 */
import type { Capture, Host, LabContext } from '../_lib/context.ts';

export const CLIENT = '198.51.100.1';
export const SERVER_DIRECT = '198.51.100.2';
export const ROUTER_CLIENT_SIDE = '198.51.100.254';
export const ROUTER_SERVER_SIDE = '203.0.113.254';
export const SERVER = '203.0.113.1';

export async function direct(
  ctx: LabContext,
): Promise<{ client: Host; server: Host; capture: Capture }> {
  const client = await ctx.host('client');
  const server = await ctx.host('server');
  await ctx.link(client, server, { a: `${CLIENT}/24`, b: `${SERVER_DIRECT}/24`, mtu: 1500 });
  const capture = await ctx.capture(client);
  return { client, server, capture };
}

export async function routed(
  ctx: LabContext,
  clientSysctls: Record<string, string> = {},
): Promise<{ client: Host; router: Host; server: Host; capture: Capture }> {
  const client = await ctx.host('client', { sysctls: clientSysctls });
  const router = await ctx.host('router', { sysctls: { 'net.ipv4.ip_forward': '1' } });
  const server = await ctx.host('server');
  await ctx.link(client, router, { a: `${CLIENT}/24`, b: `${ROUTER_CLIENT_SIDE}/24`, mtu: 1500 });
  await ctx.link(router, server, { a: `${ROUTER_SERVER_SIDE}/24`, b: `${SERVER}/24`, mtu: 1500 });
  await client.run(['ip', 'route', 'add', 'default', 'via', ROUTER_CLIENT_SIDE]);
  await server.run(['ip', 'route', 'add', 'default', 'via', ROUTER_SERVER_SIDE]);
  const capture = await ctx.capture(client);
  return { client, router, server, capture };
}
