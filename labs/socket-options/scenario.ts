/**
 * What the Socket options labs share: the two topologies, a way to release a probe that waits
 * for the lab's go-ahead, and the statistics the timing labs report. Not a lab itself.
 */
import type { Host, LabContext, Probe } from '../_lib/context.ts';

export const CLIENT_ADDR = '198.51.100.1';
export const SERVER_ADDR = '198.51.100.2';

/** Client and server on one veth pair with MTU 1500 (MSS 1460, 1448 with timestamps). */
export async function pair(
  ctx: LabContext,
  opts: { server?: Record<string, string> } = {},
): Promise<{ client: Host; server: Host }> {
  const client = await ctx.host('client');
  const server = await ctx.host('server', { sysctls: opts.server });
  await ctx.link(client, server, { a: `${CLIENT_ADDR}/24`, b: `${SERVER_ADDR}/24`, mtu: 1500 });
  return { client, server };
}

export const ROUTED_CLIENT = '198.51.100.1';
export const ROUTED_SERVER = '203.0.113.1';

/**
 * client 198.51.100.1/24 — router 198.51.100.254 | 203.0.113.254 — server 203.0.113.1/24, IP
 * forwarding in the router only. `vanish()` makes the server unreachable the way a dead host or a
 * broken path does: the router silently discards everything for it (a blackhole route sends no
 * ICMP), while the client's own link stays up.
 */
export async function routed(
  ctx: LabContext,
): Promise<{ client: Host; router: Host; server: Host; vanish: () => Promise<void> }> {
  const client = await ctx.host('client');
  const router = await ctx.host('router', { sysctls: { 'net.ipv4.ip_forward': '1' } });
  const server = await ctx.host('server');
  await ctx.link(client, router, { a: `${ROUTED_CLIENT}/24`, b: '198.51.100.254/24', mtu: 1500 });
  await ctx.link(router, server, { a: '203.0.113.254/24', b: `${ROUTED_SERVER}/24`, mtu: 1500 });
  await client.run(['ip', 'route', 'add', 'default', 'via', '198.51.100.254']);
  await server.run(['ip', 'route', 'add', 'default', 'via', '203.0.113.254']);
  const vanish = async () => {
    await router.run(['ip', 'route', 'add', 'blackhole', `${ROUTED_SERVER}/32`]);
    ctx.note(router, 'blackhole', { route: `blackhole ${ROUTED_SERVER}/32` });
  };
  return { client, router, server, vanish };
}

/** Releases a probe that blocks SIGUSR1 and waits for it ("go") once it reports `readyEvent`. */
export async function release(probe: Probe, readyEvent: string): Promise<void> {
  await probe.waitFor(readyEvent);
  probe.signal('SIGUSR1');
}

/** Milliseconds, rounded to microseconds. */
export function ms(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e3;
}

/** The p-th percentile (0–100) of samples by nearest rank; undefined for no samples. */
export function percentile(samples: number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/** Median, 10th and 90th percentile, min and max of samples in microseconds, as milliseconds. */
export function summarizeUs(samplesUs: number[]) {
  const toMs = (us: number | undefined) => (us === undefined ? undefined : Math.round(us) / 1000);
  return {
    medianMs: toMs(percentile(samplesUs, 50)),
    p10Ms: toMs(percentile(samplesUs, 10)),
    p90Ms: toMs(percentile(samplesUs, 90)),
    minMs: toMs(Math.min(...samplesUs)),
    maxMs: toMs(Math.max(...samplesUs)),
  };
}

/**
 * The vanished-peer scenario of the liveness labs: client and server across a router, two idle
 * connections (A with the option under test, B without), then the router black-holes the server
 * and the client is told to go. Returns when the client has reported A's end and B's state.
 */
export async function vanishedPeer(
  ctx: LabContext,
  port: number,
  clientArgs: Array<string | number>,
) {
  const { client, server, router, vanish } = await routed(ctx);
  const capture = await ctx.capture(client);
  const listener = ctx.probe(server, 'socket-options/liveness.c', ['server', ROUTED_SERVER, port]);
  await listener.waitFor('listening');
  const prober = ctx.probe(client, 'socket-options/liveness.c', [
    'client',
    ROUTED_SERVER,
    port,
    ...clientArgs,
  ]);
  const connected = await prober.waitFor('connected');
  await vanish();
  await release(prober, 'connected');
  const dead = await prober.waitFor('dead', 30_000);
  const after = await prober.waitFor('after');
  const other = await prober.waitFor('other');
  const packets = await capture.stop();
  await prober.stop();
  return {
    client,
    server,
    router,
    packets,
    sportA: Number(connected.sportA),
    sportB: Number(connected.sportB),
    dead,
    after,
    other,
  };
}
