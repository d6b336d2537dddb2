/**
 * What the Teardown labs share: two hosts on a 1500-byte veth with a capture on the client, a
 * way to advance a probe's scripted step (SIGUSR1), and readers for the `state` events the
 * probes' sock_diag watcher prints. Not a lab itself (index.ts lists the labs).
 */
import type { Host, LabContext, Probe } from '../_lib/context.ts';
import { onPort } from '../_lib/packets.ts';
import type { LabEvent, Packet } from '../_lib/types.ts';

export const CLIENT_ADDR = '198.51.100.1';
export const SERVER_ADDR = '198.51.100.2';

/** Client and server hosts joined by veth (MTU 1500), capturing on the client. */
export async function twoHosts(
  ctx: LabContext,
  sysctls: { client?: Record<string, string>; server?: Record<string, string> } = {},
) {
  const client = await ctx.host('client', { sysctls: sysctls.client });
  const server = await ctx.host('server', { sysctls: sysctls.server });
  await ctx.link(client, server, { a: `${CLIENT_ADDR}/24`, b: `${SERVER_ADDR}/24`, mtu: 1500 });
  const capture = await ctx.capture(client);
  return { client, server, capture };
}

/** Lets a probe waiting in `wait_step()` take its next step (SIGUSR1). */
export async function nextStep(probe: Probe): Promise<void> {
  await probe.waitFor('waiting');
  probe.signal('SIGUSR1');
}

/** Waits until the probe's watcher reports the connection in `state` (`GONE` once it is gone). */
export function waitForState(probe: Probe, state: string, timeoutMs = 15_000): Promise<LabEvent> {
  return probe.waitFor((e) => e.event === 'state' && e.state === state, timeoutMs);
}

/** The states the probe's watcher saw, in order (a timer change within a state is not a step). */
export function stateWalk(probe: Probe): string[] {
  const walk: string[] = [];
  for (const e of probe.events) {
    if (e.event === 'state' && walk.at(-1) !== e.state) walk.push(String(e.state));
  }
  return walk;
}

/** The watcher's first event in `state` that has a timer running, else its first event in it. */
export function stateEvent(probe: Probe, state: string): LabEvent | undefined {
  const inState = probe.events.filter((e) => e.event === 'state' && e.state === state);
  return inState.find((e) => e.timer !== 'off') ?? inState[0];
}

/** `client:F.`-style labels for the segments of one port after its handshake, in capture order. */
export function segmentsAfterHandshake(packets: Packet[], port: number): string[] {
  return onPort(packets, port)
    .filter((p) => !p.tcp.syn)
    .slice(1) // the handshake's final ACK
    .map((p) => `${p.ip.src === CLIENT_ADDR ? 'client' : 'server'}:${p.tcp.flags}`);
}

/** Seconds from the first packet matching `a` to the first later packet matching `b`. */
export function gapS(
  packets: Packet[],
  port: number,
  a: (p: Packet) => boolean,
  b: (p: Packet) => boolean,
): number | undefined {
  const tcpPackets = onPort(packets, port);
  const i = tcpPackets.findIndex(a);
  if (i < 0) return undefined;
  const j = tcpPackets.findIndex((p, k) => k > i && b(p));
  return j < 0 ? undefined : round6(tcpPackets[j].t - tcpPackets[i].t);
}

/** A segment from this host's address carrying these flags (exactly, e.g. `F.`). */
export const from = (addr: string, flags: string) => (p: Packet) =>
  p.ip.src === addr && p.tcp?.flags === flags;

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export type { Host };
