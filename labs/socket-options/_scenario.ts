/**
 * What the Socket options labs share besides `clientServer()`: a server that vanishes behind a
 * router, a way to release a probe that waits for the lab's go-ahead, and the statistics the
 * timing labs report.
 */
import { FAR_SERVER, routed } from '../_lib/topology.ts';
import type { LabContext, Probe } from '../_lib/types.ts';

/**
 * `routed()` of _lib/topology.ts with `vanish()`, which makes the server unreachable the way a
 * dead host or a broken path does: the router silently discards everything for it (a blackhole
 * route sends no ICMP), while the client's own link stays up.
 */
export async function vanishingServer(ctx: LabContext, opts: Parameters<typeof routed>[1] = {}) {
  const topology = await routed(ctx, opts);
  const vanish = async () => {
    await topology.router.run(['ip', 'route', 'add', 'blackhole', `${FAR_SERVER}/32`]);
    ctx.note(topology.router, 'blackhole', { route: `blackhole ${FAR_SERVER}/32` });
  };
  return { ...topology, vanish };
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
  const { client, server, router, capture, vanish } = await vanishingServer(ctx);
  const listener = ctx.probe(server, 'socket-options/liveness.c', ['server', FAR_SERVER, port]);
  await listener.waitFor('listening');
  const prober = ctx.probe(client, 'socket-options/liveness.c', [
    'client',
    FAR_SERVER,
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
