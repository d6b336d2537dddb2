/**
 * What the Teardown labs share, on `clientServer()` (_lib/topology.ts): a way to advance a
 * probe's scripted step (SIGUSR1), readers for the `state` events the probes' sock_diag watcher
 * prints, and the orderly-close scenario of two labs: one connection on port 5001, one side calls
 * close() first, the other reads the end of file and closes only when the lab says so, so the
 * half-closed middle (FIN-WAIT-2 facing CLOSE-WAIT) can be sampled on both ends.
 */
import { tcpSockets, type SsSocket } from '../_lib/observe.ts';
import { onPort } from '../_lib/packets.ts';
import { CLIENT, clientServer, FAR_SERVER, SERVER } from '../_lib/topology.ts';
import type { Claim, LabContext, LabEvent, Packet, Probe } from '../_lib/types.ts';

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
    .map((p) => `${p.ip.src === CLIENT ? 'client' : 'server'}:${p.tcp.flags}`);
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

// The orderly-close scenario.

export const PORT = 5001;

export async function orderlyClose(ctx: LabContext, first: 'client' | 'server') {
  const { client, server, capture } = await clientServer(ctx);
  const listener = ctx.probe(server, 'teardown/orderly-close.c', [
    'server',
    SERVER,
    PORT,
    first === 'server' ? 'first' : 'second',
  ]);
  await listener.waitFor('listening');
  const connector = ctx.probe(client, 'teardown/orderly-close.c', [
    'client',
    SERVER,
    PORT,
    first === 'client' ? 'first' : 'second',
  ]);
  const [active, passive] = first === 'client' ? [connector, listener] : [listener, connector];
  const [activeHost, passiveHost] = first === 'client' ? [client, server] : [server, client];

  // The middle: the active end's FIN is acknowledged, the passive end has read EOF and waits.
  await waitForState(active, 'FIN-WAIT-2');
  await passive.waitFor('waiting');
  const middle = {
    active: row(await tcpSockets(activeHost)),
    passive: row(await tcpSockets(passiveHost)),
  };
  await nextStep(passive);
  await active.waitFor('done');
  await passive.waitFor('done');
  const after = {
    active: row(await tcpSockets(activeHost)),
    passive: row(await tcpSockets(passiveHost)),
  };
  const packets = await capture.stop();

  const activeAddr = first === 'client' ? CLIENT : SERVER;
  const passiveAddr = first === 'client' ? SERVER : CLIENT;
  const finWait2 = stateEvent(active, 'FIN-WAIT-2');
  const timeWait = stateEvent(active, 'TIME-WAIT');
  return {
    facts: {
      segments: segmentsAfterHandshake(packets, PORT),
      activeStateAfterClose: active.events.find((e) => e.event === 'closed')?.state,
      // FIN-WAIT-1 lasts only until the peer's ACK (0.2–1.5 ms here). A probe descheduled for
      // longer between close() and its look misses it: a late look, not FIN-WAIT-2 first. Either
      // the look or the watcher thread (every 0.5 ms) must have seen it.
      activeFinWait1Seen: active.events.some(
        (e) => (e.event === 'closed' || e.event === 'state') && e.state === 'FIN-WAIT-1',
      ),
      activeWalk: stateWalk(active),
      passiveFinReceivedState: passive.events.find((e) => e.event === 'fin-received')?.state,
      passiveEofRead: passive.events.find((e) => e.event === 'eof')?.ret,
      passiveWalk: stateWalk(passive),
      passiveStateAfterClose: passive.events.find((e) => e.event === 'closed')?.state,
      middleActiveSs: middle.active?.state,
      middlePassiveSs: middle.passive?.state,
      middleActiveTimer: middle.active?.timer,
      finWait2TimerS: finWait2 ? Number(finWait2.expiresMs) / 1000 : undefined,
      afterActiveSs: after.active?.state,
      afterActiveTimer: after.active?.timer,
      afterPassiveSs: after.passive?.state ?? 'none',
      timeWaitTimerS: timeWait ? Number(timeWait.expiresMs) / 1000 : undefined,
      finWait1Ms: ms(gapS(packets, PORT, from(activeAddr, 'F.'), from(passiveAddr, '.'))),
      lastAckMs: ms(gapS(packets, PORT, from(passiveAddr, 'F.'), from(activeAddr, '.'))),
    },
  };
}

/** The connection's row (not the listener's) in an `ss` listing. */
function row(sockets: SsSocket[]): SsSocket | undefined {
  return sockets.find(
    (s) => s.state !== 'LISTEN' && (s.local.endsWith(`:${PORT}`) || s.peer.endsWith(`:${PORT}`)),
  );
}

function ms(s: number | undefined): number | undefined {
  return s === undefined ? undefined : Math.round(s * 1e6) / 1e3;
}

export type OrderlyFacts = Awaited<ReturnType<typeof orderlyClose>>['facts'];

/** Claims for either order; `a` is the side that closes first, `p` the other. */
export function orderlyClaims(
  a: 'client' | 'server',
  p: 'client' | 'server',
): Claim<OrderlyFacts>[] {
  return [
    {
      id: 'segments',
      says: `Four segments after the handshake: ${a} FIN, ${p} ACK, ${p} FIN, ${a} ACK.`,
      fact: 'segments',
      expect: { equals: [`${a}:F.`, `${p}:.`, `${p}:F.`, `${a}:.`] },
    },
    {
      id: 'fin-wait-1',
      says: `Right after close() the ${a}'s socket is in FIN-WAIT-1: its FIN is sent, not yet acknowledged.`,
      fact: 'activeFinWait1Seen',
      expect: { equals: true },
      kernelNote: `FIN-WAIT-1 lasts until the ${p}'s ACK of the FIN, the time this run measured as finWait1Ms: the look right after close() or the 0.5 ms watcher sees it, and a look that came later would see FIN-WAIT-2`,
    },
    {
      id: 'active-walk',
      says: `Then the ${a} end moves on to FIN-WAIT-2 and TIME-WAIT (sock_diag, sampled every 0.5 ms; FIN-WAIT-1 may fall between two samples).`,
      observe: (r) => (r.facts.activeWalk as string[]).filter((s) => s !== 'FIN-WAIT-1'),
      expect: { equals: ['ESTAB', 'FIN-WAIT-2', 'TIME-WAIT'] },
    },
    {
      id: 'close-wait',
      says: `The ${p} sees the FIN as CLOSE-WAIT (TCP_INFO) before it reads anything, and read() then returns 0.`,
      observe: (r) => [r.facts.passiveFinReceivedState, r.facts.passiveEofRead],
      expect: { equals: ['CLOSE-WAIT', 0] },
    },
    {
      id: 'middle',
      says: `Between the two FINs, ss shows FIN-WAIT-2 on the ${a} and CLOSE-WAIT on the ${p}.`,
      observe: (r) => [r.facts.middleActiveSs, r.facts.middlePassiveSs],
      expect: { equals: ['FIN-WAIT-2', 'CLOSE-WAIT'] },
    },
    {
      id: 'fin-wait-2-timer',
      says: `The orphaned FIN-WAIT-2 socket carries a timer of tcp_fin_timeout (60 s by default).`,
      fact: 'finWait2TimerS',
      expect: { between: [55, 60] },
    },
    {
      id: 'time-wait-here',
      says: `After both FINs, TIME-WAIT sits on the ${a}, which closed first; the ${p} keeps no socket for the connection.`,
      observe: (r) => [r.facts.afterActiveSs, r.facts.afterPassiveSs],
      expect: { equals: ['TIME-WAIT', 'none'] },
    },
    {
      id: 'time-wait-60s',
      says: 'The TIME-WAIT timer starts at 60 s (TCP_TIMEWAIT_LEN), not 2×MSL of RFC 9293 (4 min).',
      fact: 'timeWaitTimerS',
      expect: { between: [55, 60] },
      kernelNote:
        'TCP_TIMEWAIT_LEN is a compile-time constant; net.ipv4.tcp_fin_timeout does not change it',
    },
    {
      id: 'passive-walk',
      says: `The ${p} end is CLOSE-WAIT until its close() and gone once the ${a}'s last ACK is in; LAST-ACK in between lasts one round trip (lastAckMs), which the 0.5 ms sampling may or may not catch (the LAST-ACK lab holds it long enough to see).`,
      // The watcher may start before or after the FIN arrived: a leading ESTAB is not the point.
      observe: (r) =>
        (r.facts.passiveWalk as string[]).filter((s, i) => !(i === 0 && s === 'ESTAB')),
      expect: {
        oneOf: [
          ['CLOSE-WAIT', 'GONE'],
          ['CLOSE-WAIT', 'LAST-ACK', 'GONE'],
        ],
      },
    },
    {
      id: 'last-ack-short',
      says: `The ${a}'s final ACK follows the ${p}'s FIN on the wire within 50 ms (ms): here one round trip on a veth pair.`,
      fact: 'lastAckMs',
      expect: { atMost: 50 },
      cost: true,
    },
  ];
}

// Orphans on a silent path.

/**
 * Clients behind a router, each on its own half of 198.51.100.0/24, and a server behind the router
 * on 203.0.113.0/24 (FAR_SERVER). `ip route add blackhole FAR_SERVER` in the router later makes
 * the path silent: the clients' segments leave (and are captured on each client) and vanish, with
 * no ICMP and nothing back. Each client gets its own sysctls, since the knobs are per namespace.
 */
export async function clientsBehindRouter(
  ctx: LabContext,
  clients: Array<{ name: string; sysctls?: Record<string, string> }>,
) {
  const hosts = [];
  for (const c of clients) hosts.push(await ctx.host(c.name, { sysctls: c.sysctls }));
  const router = await ctx.host('router', { sysctls: { 'net.ipv4.ip_forward': '1' } });
  const server = await ctx.host('server');
  const halves = [
    { client: '198.51.100.1', router: '198.51.100.126' },
    { client: '198.51.100.129', router: '198.51.100.254' },
  ];
  for (const [i, host] of hosts.entries()) {
    const half = halves[i];
    await ctx.link(host, router, { a: `${half.client}/25`, b: `${half.router}/25`, mtu: 1500 });
    await host.run(['ip', 'route', 'add', 'default', 'via', half.router]);
  }
  await ctx.link(router, server, { a: '203.0.113.254/24', b: `${FAR_SERVER}/24`, mtu: 1500 });
  await server.run(['ip', 'route', 'add', 'default', 'via', '203.0.113.254']);
  const captures = [];
  for (const host of hosts) captures.push(await ctx.capture(host));
  return { clients: hosts, router, server, captures };
}

/** The `state` events of a probe's watcher that carry a retransmission count. */
export function retransCount(probe: Probe): number {
  return Math.max(
    0,
    ...probe.events
      .filter((e) => e.event === 'state' && typeof e.retrans === 'number')
      .map((e) => Number(e.retrans)),
  );
}

/**
 * What the client sent to `port` from its first data segment on (the write before close(), the
 * FIN, and every retransmission): `P. 10`-style labels, and seconds since the first of them.
 */
export function afterClose(packets: Packet[], port: number) {
  const sent = onPort(packets, port).filter(
    (p) => p.tcp.dstPort === port && (p.tcp.payloadLength > 0 || p.tcp.fin || p.tcp.rst),
  );
  const t0 = sent[0]?.t ?? 0;
  return {
    labels: sent.map((p) =>
      p.tcp.payloadLength ? `${p.tcp.flags} ${p.tcp.payloadLength}` : p.tcp.flags,
    ),
    times: sent.map((p) => round6(p.t - t0)),
    rsts: sent.filter((p) => p.tcp.rst).length,
  };
}
