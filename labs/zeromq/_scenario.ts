/** Shared by the ZeroMQ labs: starting the zmq probe and reading its monitor events. */
import type { Host, LabContext, Probe } from '../_lib/types.ts';
import type { LabEvent } from '../_lib/types.ts';

export const ZMQ_PROBE = 'zeromq/_zmq-probe.ts';

export interface ZmqConfig {
  type: 'dealer' | 'pair' | 'req' | 'rep' | 'sub' | 'pub' | 'push' | 'pull' | 'router';
  connect?: string;
  bind?: string;
  reconnectIvl?: number;
  reconnectIvlMax?: number;
  handshakeIvl?: number;
  echo?: string;
}

/** Starts one ZeroMQ socket with its monitor inside a host and waits until it is set up. */
export async function zmqSocket(ctx: LabContext, host: Host, config: ZmqConfig): Promise<Probe> {
  const probe = ctx.script(host, ZMQ_PROBE, [JSON.stringify(config)]);
  await probe.waitFor('ready', 20_000);
  return probe;
}

/** The monitor events of a probe (`zmq:` prefix removed), in order. */
export function monitorEvents(probe: Probe): LabEvent[] {
  return probe.events.filter((e) => e.event.startsWith('zmq:'));
}

export function names(events: LabEvent[]): string[] {
  return events.map((e) => e.event.replace(/^zmq:/, ''));
}

/** Resolves with the n-th event of that name (1-based), or rejects after timeoutMs. */
export function nth(probe: Probe, event: string, n: number, timeoutMs: number): Promise<LabEvent> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`no ${n}× "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    // RunningProbe resolves waitFor() on the first match only; count by polling its event list.
    const poll = setInterval(() => {
      const hits = probe.events.filter((e) => e.event === event);
      if (hits.length >= n) {
        clearTimeout(deadline);
        clearInterval(poll);
        resolve(hits[n - 1]);
      }
    }, 10);
  });
}

/** Seconds between consecutive SYNs (no ACK) leaving for a port: the reconnect rhythm on the wire. */
export function synGaps(packets: import('../_lib/types.ts').Packet[], port: number): number[] {
  const syns = packets.filter((p) => p.tcp && p.tcp.syn && !p.tcp.ack && p.tcp.dstPort === port);
  return syns.slice(1).map((p, i) => Math.round((p.t - syns[i].t) * 1000) / 1000);
}

/** How late each SYN left compared with the wait announced for it (ms): the smallest and the median. */
export function lateness(
  gapsS: number[],
  reportedMs: number[],
): { minGapMinusReportedMs: number; medianLatenessMs: number } {
  const late = gapsS.map((g, i) => Math.round(g * 1000 - reportedMs[i])).sort((a, b) => a - b);
  return { minGapMinusReportedMs: late[0], medianLatenessMs: late[Math.floor(late.length / 2)] };
}
