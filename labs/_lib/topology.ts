/**
 * The network shapes labs share, on documentation addresses (RFC 5737). Every link has MTU 1500
 * unless asked, permanent neighbour entries (no ARP on the wire), and forwarding is on in routers
 * only:
 *
 *   clientServer   client 198.51.100.1 ──────────────────────────────── server 198.51.100.2
 *   routed         client 198.51.100.1 ── 198.51.100.254 router 203.0.113.254 ── server 203.0.113.1
 *   narrowPath     a 198.51.100.1 ──1500── r1 ──1280── r2 ──1500── b 203.0.113.1
 *                  (r1 198.51.100.254 | 203.0.113.129, r2 203.0.113.130 | 203.0.113.126)
 *
 * Each starts a capture on the first host (client, or a) once the links are up, so the capture
 * holds only what the lab does. Host names are the ladder's column titles: pass `names` where
 * "client" and "server" would mislead (a sender and a receiver of datagrams).
 */
import type { Capture, Host, LabContext } from './types.ts';

export const CLIENT = '198.51.100.1';
export const SERVER = '198.51.100.2';
export const ROUTER_CLIENT_SIDE = '198.51.100.254';
export const ROUTER_SERVER_SIDE = '203.0.113.254';
/** The server behind the router in `routed()`, and b in `narrowPath()`. */
export const FAR_SERVER = '203.0.113.1';
export const NARROW_MTU = 1280;

type Sysctls = Record<string, string>;

export interface ClientServer {
  client: Host;
  server: Host;
  capture: Capture;
  /** The client's and the server's end of the veth pair. */
  clientIf: string;
  serverIf: string;
}

interface ClientServerOptions {
  client?: Sysctls;
  server?: Sysctls;
  mtu?: number;
  names?: [string, string];
  /** false: no capture yet, for a lab that must set things up first (it starts its own). */
  capture?: boolean;
}

/** Two hosts on one veth pair, a capture on the client. */
export async function clientServer(
  ctx: LabContext,
  opts?: ClientServerOptions & { capture?: true },
): Promise<ClientServer>;
export async function clientServer(
  ctx: LabContext,
  opts: ClientServerOptions & { capture: false },
): Promise<Omit<ClientServer, 'capture'>>;
export async function clientServer(
  ctx: LabContext,
  opts: ClientServerOptions = {},
): Promise<Omit<ClientServer, 'capture'> & { capture?: Capture }> {
  const [clientName, serverName] = opts.names ?? ['client', 'server'];
  const client = await ctx.host(clientName, { sysctls: opts.client });
  const server = await ctx.host(serverName, { sysctls: opts.server });
  const { ifA, ifB } = await ctx.link(client, server, {
    a: `${CLIENT}/24`,
    b: `${SERVER}/24`,
    mtu: opts.mtu ?? 1500,
  });
  const hosts = { client, server, clientIf: ifA, serverIf: ifB };
  return opts.capture === false ? hosts : { ...hosts, capture: await ctx.capture(client) };
}

export interface Routed {
  client: Host;
  router: Host;
  server: Host;
  capture: Capture;
}

/**
 * A client and a server on two subnets with a router between them. Failures are made inside the
 * router (`ip route add prohibit|blackhole`), never by taking the client's own link down, which
 * fails locally instead of on the path.
 */
export async function routed(
  ctx: LabContext,
  opts: {
    client?: Sysctls;
    router?: Sysctls;
    server?: Sysctls;
    /** MTU of the router's link to the server (default 1500). */
    serverLinkMtu?: number;
    /** Where the capture runs (default the client). */
    captureOn?: 'client' | 'router';
    names?: [string, string, string];
  } = {},
): Promise<Routed> {
  const [clientName, routerName, serverName] = opts.names ?? ['client', 'router', 'server'];
  const client = await ctx.host(clientName, { sysctls: opts.client });
  const router = await ctx.host(routerName, {
    sysctls: { 'net.ipv4.ip_forward': '1', ...opts.router },
  });
  const server = await ctx.host(serverName, { sysctls: opts.server });
  await ctx.link(client, router, { a: `${CLIENT}/24`, b: `${ROUTER_CLIENT_SIDE}/24`, mtu: 1500 });
  await ctx.link(router, server, {
    a: `${ROUTER_SERVER_SIDE}/24`,
    b: `${FAR_SERVER}/24`,
    mtu: opts.serverLinkMtu ?? 1500,
  });
  await client.run(['ip', 'route', 'add', 'default', 'via', ROUTER_CLIENT_SIDE]);
  await server.run(['ip', 'route', 'add', 'default', 'via', ROUTER_SERVER_SIDE]);
  const capture = await ctx.capture(opts.captureOn === 'router' ? router : client);
  return { client, router, server, capture };
}

export interface NarrowPath {
  a: Host;
  r1: Host;
  r2: Host;
  b: Host;
  /** a's interface towards r1. */
  aIf: string;
}

/**
 * Two ends on 1500-byte links, so each advertises MSS 1460 and sends 1500-byte packets, with a
 * 1280-byte link between the two routers. No capture: the path-MTU labs choose where to look.
 */
export async function narrowPath(ctx: LabContext, endSysctls: Sysctls = {}): Promise<NarrowPath> {
  const a = await ctx.host('a', { sysctls: endSysctls });
  const r1 = await ctx.host('r1', { sysctls: { 'net.ipv4.ip_forward': '1' } });
  const r2 = await ctx.host('r2', { sysctls: { 'net.ipv4.ip_forward': '1' } });
  const b = await ctx.host('b', { sysctls: endSysctls });
  const { ifA: aIf } = await ctx.link(a, r1, {
    a: `${CLIENT}/24`,
    b: `${ROUTER_CLIENT_SIDE}/24`,
    mtu: 1500,
  });
  await ctx.link(r1, r2, { a: '203.0.113.129/25', b: '203.0.113.130/25', mtu: NARROW_MTU });
  await ctx.link(r2, b, { a: '203.0.113.126/25', b: `${FAR_SERVER}/25`, mtu: 1500 });
  await a.run(['ip', 'route', 'add', 'default', 'via', ROUTER_CLIENT_SIDE]);
  await r1.run(['ip', 'route', 'add', '203.0.113.0/25', 'via', '203.0.113.130']);
  await r2.run(['ip', 'route', 'add', '198.51.100.0/24', 'via', '203.0.113.129']);
  await b.run(['ip', 'route', 'add', 'default', 'via', '203.0.113.126']);
  return { a, r1, r2, b, aIf };
}
