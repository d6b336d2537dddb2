/**
 * Notes on a ladder where the lesson is, and a side lane of ZeroMQ monitor events. Every note is
 * computed from the run (its packets, events and facts), never typed in: a re-recorded run gets
 * notes with its own numbers, and a run that no longer shows the behaviour gets no note.
 *
 * Keep notes few and short: one or two per lab, each a phrase that fits under an arrow.
 */
import type { HostInfo, LabEvent, LabRun, Packet } from '../../../labs/_lib/types.ts';
import { findRetransmissions, formatDuration, type LadderNote, type LaneInput } from './layout.ts';

type Tcp = Packet & { tcp: NonNullable<Packet['tcp']> };
type Annotator = (run: LabRun) => LadderNote[];

const isTcp = (p: Packet): p is Tcp => p.tcp !== undefined;
const isSyn = (p: Packet) => Boolean(p.tcp?.syn && !p.tcp.ack);
const payload = (p: Packet) => p.tcp?.payloadLength ?? 0;
const isPureAck = (p: Packet) =>
  isTcp(p) && p.tcp.payloadLength === 0 && !p.tcp.syn && !p.tcp.fin && !p.tcp.rst && p.tcp.ack;

/** Same direction of the same connection (4-tuple). */
const sameFlow = (a: Tcp, b: Tcp) =>
  a.ip.src === b.ip.src &&
  a.ip.dst === b.ip.dst &&
  a.tcp.srcPort === b.tcp.srcPort &&
  a.tcp.dstPort === b.tcp.dstPort;
/** The opposite direction of the same connection. */
const reverseFlow = (a: Tcp, b: Tcp) =>
  a.ip.src === b.ip.dst &&
  a.ip.dst === b.ip.src &&
  a.tcp.srcPort === b.tcp.dstPort &&
  a.tcp.dstPort === b.tcp.srcPort;

const frameOf = (run: LabRun, p: Packet) => run.packets.indexOf(p) + 1;
const hostName = (hosts: HostInfo[], addr: string) =>
  hosts.find((h) => h.addrs.includes(addr))?.name ?? addr;

/**
 * Nagle and the delayed ACK (socket-options/nagle-delayed-ack): on the first connection (Nagle
 * on), the first request whose header waited for a late ACK: the ACK's delay, and the body that
 * left only when it arrived.
 */
const nagle: Annotator = (run) => {
  const ps = run.packets;
  const syn = ps.find(isSyn);
  if (!syn || !isTcp(syn)) return [];
  const stalls: Array<{ header: Tcp; ack: Tcp; body: Tcp }> = [];
  for (let i = 0; i + 2 < ps.length; i++) {
    const [header, ack, body] = [ps[i]!, ps[i + 1]!, ps[i + 2]!];
    if (!isTcp(header) || !isTcp(ack) || !isTcp(body)) continue;
    if (!sameFlow(header, syn) || !sameFlow(body, syn) || !reverseFlow(ack, syn)) continue;
    if (payload(header) === 0 || payload(body) === 0 || !isPureAck(ack)) continue;
    const end = header.tcp.relSeq + header.tcp.payloadLength;
    if (ack.tcp.relAck !== end || body.tcp.relSeq !== end) continue;
    stalls.push({ header, ack, body });
  }
  if (stalls.length === 0) return [];
  const delay = (s: (typeof stalls)[number]) => s.ack.t - s.header.t;
  const longest = Math.max(...stalls.map(delay));
  // The first request that waited about as long as the longest wait: the typical stall.
  const s = stalls.find((x) => delay(x) >= longest / 2)!;
  // Back-to-back packets are not a stall: below the ladder's own gap threshold, say nothing.
  if (delay(s) < 0.01) return [];
  return [
    {
      frame: frameOf(run, s.ack),
      from: frameOf(run, s.header),
      text: `delayed ACK: ${formatDuration(delay(s))} after the header`,
    },
    {
      frame: frameOf(run, s.body),
      text: `body held by Nagle until that ACK (+${formatDuration(s.body.t - s.header.t)})`,
    },
  ];
};

/**
 * A SYN that nothing answered (no SYN-ACK, RST or ICMP back to its sender): the first original
 * one gets a note, with the lab's reason when the run's facts say it.
 */
function droppedSyn(reason: (run: LabRun) => string | undefined): Annotator {
  return (run) => {
    const ps = run.packets;
    const retrans = findRetransmissions(ps);
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i]!;
      if (!isTcp(p) || !isSyn(p) || retrans.has(i + 1)) continue;
      const later = ps.slice(i + 1);
      const answered = later.some(
        (q) =>
          (isTcp(q) && reverseFlow(q, p) && (q.tcp.syn || q.tcp.rst)) ||
          (q.icmp !== undefined && q.ip.dst === p.ip.src),
      );
      if (answered) continue;
      const why = reason(run);
      const notes: LadderNote[] = [{ frame: i + 1, text: `SYN dropped: ${why ?? 'no SYN-ACK'}` }];
      return notes;
    }
    return [];
  };
}

/** handshakes/accept-queue-overflow: what the listener's queue held, from the run itself. */
const acceptQueueFull = (run: LabRun) => {
  const queued = (run.facts as { listenRecvQ?: unknown }).listenRecvQ;
  const listening = run.events.find((e) => e.event === 'listening' && e.backlog !== undefined);
  if (typeof queued !== 'number' || !listening) return undefined;
  return `accept queue full (${queued} queued, backlog ${String(listening.backlog)})`;
};

/** reachability/blackhole-syn-timeout: nothing at all came back to the client. */
const nothingBack = (run: LabRun) => {
  const client = run.packets.find(isSyn)?.ip.src;
  if (!client || run.packets.some((p) => p.ip.dst === client)) return undefined;
  return 'no SYN-ACK, no ICMP, nothing came back';
};

/** One TCP connection of a capture, from its SYN, with the packets annotations look for. */
interface Connection {
  syn: Tcp;
  /** The first SYN-ACK back, and the ACK that completed the handshake. */
  synAck?: Tcp;
  ack?: Tcp;
  /**
   * Per direction (`out`: from the SYN's sender), the data segments that carried the first 64
   * bytes, the ZMTP 3 greeting size (RFC 23/ZMTP), ending with the one that completed them.
   */
  greeting: { out: Tcp[]; back: Tcp[] };
  /** Per direction, the first segment with bytes past the greeting (ZMTP's READY and on). */
  after: { out?: Tcp; back?: Tcp };
  /** The first FIN or RST each way after the handshake. */
  end: { out?: Tcp; back?: Tcp };
}

/** The capture's connections, in the order of their first SYN (retransmitted SYNs join theirs). */
function connections(packets: Packet[]): Connection[] {
  const found: Connection[] = [];
  const full = { out: false, back: false };
  const done = new Map<Connection, typeof full>();
  for (const p of packets) {
    if (!isTcp(p)) continue;
    // The latest connection on this 4-tuple; a SYN with a new ISN opens another (ports get reused).
    let c = found.findLast((x) => sameFlow(p, x.syn) || reverseFlow(p, x.syn));
    if (c && isSyn(p) && sameFlow(p, c.syn) && p.tcp.seq !== c.syn.tcp.seq) c = undefined;
    if (!c && isSyn(p)) {
      c = { syn: p, greeting: { out: [], back: [] }, after: {}, end: {} };
      found.push(c);
      done.set(c, { ...full });
    }
    if (!c) continue;
    const dir = sameFlow(p, c.syn) ? 'out' : 'back';
    if (dir === 'back' && p.tcp.syn && p.tcp.ack) c.synAck ??= p;
    if (dir === 'out' && c.synAck && !p.tcp.syn && p.tcp.ack) c.ack ??= p;
    if (payload(p) > 0 && p.tcp.relSeq + p.tcp.payloadLength - 1 > 64) c.after[dir] ??= p;
    if ((p.tcp.fin || p.tcp.rst) && c.synAck) c.end[dir] ??= p;
    if (payload(p) > 0 && !done.get(c)![dir]) {
      c.greeting[dir].push(p);
      if (p.tcp.relSeq + p.tcp.payloadLength - 1 >= 64) done.get(c)![dir] = true;
    }
  }
  // A direction that never reached 64 bytes had no complete greeting.
  for (const c of found)
    for (const dir of ['out', 'back'] as const) if (!done.get(c)![dir]) c.greeting[dir] = [];
  return found;
}

/**
 * The ZMTP 3 greeting (zeromq/connect-accept): its first 64 bytes each way on the first
 * connection, noted on the segment that completes them, with the segment sizes that carried them.
 */
const zmtpGreeting: Annotator = (run) => {
  const first = connections(run.packets)[0];
  if (!first) return [];
  return (['out', 'back'] as const).flatMap((dir) => {
    const segments = first.greeting[dir];
    const last = segments.at(-1);
    if (!last) return [];
    const sizes = segments.map((p) => p.tcp.payloadLength);
    const total = sizes.reduce((a, b) => a + b, 0);
    const who = hostName(run.hosts, last.ip.src);
    return [
      {
        frame: frameOf(run, last),
        ...(segments.length > 1 ? { from: frameOf(run, segments[0]!) } : {}),
        text: `${who}'s ZMTP greeting: ${total === 64 ? '64 bytes' : `first 64 of ${total} bytes`} (${sizes.join(' + ')})`,
      },
    ];
  });
};

/** Lab id → notes. */
export const ladderAnnotations: Record<string, Annotator> = {
  'socket-options/nagle-delayed-ack': nagle,
  'handshakes/accept-queue-overflow': droppedSyn(acceptQueueFull),
  'reachability/blackhole-syn-timeout': droppedSyn(nothingBack),
  'zeromq/connect-accept': zmtpGreeting,
};

/** The notes for a run's ladder (none for most labs). */
export function notesFor(run: LabRun): LadderNote[] {
  return ladderAnnotations[run.id]?.(run) ?? [];
}

/** `CONNECT_RETRIED 100 ms` from `{event: 'zmq:connect:retry', zmq: 'ZMQ_EVENT_CONNECT_RETRIED', interval: 100}`. */
function monitorText(e: LabEvent): string {
  const name = typeof e.zmq === 'string' ? e.zmq.replace(/^ZMQ_EVENT_/, '') : e.event.slice(4);
  return typeof e.interval === 'number' ? `${name} ${e.interval} ms` : name;
}

/**
 * ZeroMQ monitor events (`zmq:*`) as a side lane. Their times are the lab's clock, read when the
 * probe got round to the monitor socket, and do not line up with the capture's (a run can show
 * them milliseconds late, by different amounts). So the lane places them by cause, not by clock:
 * the n-th event of a kind on a host goes beside the n-th packet of the matching kind for that
 * host, as early as it can have happened (CONNECT_DELAYED at the SYN its connect() sent,
 * CONNECTED at the SYN-ACK, ACCEPTED at the ACK that completed the handshake, HANDSHAKE_SUCCEEDED
 * at the peer's first bytes after its 64-byte greeting, DISCONNECTED at the peer's FIN or RST,
 * CLOSED at a RST); any other event goes with the event before it on the same host. Events on
 * hosts the capture did not record are left out.
 */
export function monitorLane(run: LabRun): LaneInput | undefined {
  const captured = new Set(run.hosts.map((h) => h.name));
  const events = run.events
    .filter((e) => e.event.startsWith('zmq:') && captured.has(e.host))
    .sort((a, b) => a.t - b.t);
  if (events.length === 0) return undefined;
  const conns = connections(run.packets);
  const from = (p: Packet) => hostName(run.hosts, p.ip.src);
  const to = (p: Packet) => hostName(run.hosts, p.ip.dst);
  const byTime = (a: Packet, b: Packet) => a.t - b.t;
  const both = (pick: (c: Connection) => Array<Tcp | undefined>) =>
    conns.flatMap((c) => pick(c).filter((p): p is Tcp => p !== undefined)).sort(byTime);
  const causes: Record<string, (host: string) => Packet[]> = {
    'zmq:connect:delay': (h) => conns.map((c) => c.syn).filter((p) => from(p) === h),
    'zmq:connect': (h) => both((c) => [c.synAck]).filter((p) => to(p) === h),
    'zmq:accept': (h) => both((c) => [c.ack]).filter((p) => to(p) === h),
    'zmq:handshake': (h) => both((c) => [c.after.out, c.after.back]).filter((p) => to(p) === h),
    'zmq:disconnect': (h) => both((c) => [c.end.out, c.end.back]).filter((p) => to(p) === h),
    'zmq:close': (h) => run.packets.filter((p) => p.tcp?.rst && to(p) === h).sort(byTime),
  };
  const hosts = [...new Set(events.map((e) => e.host))];
  const placed: Array<{ t: number; text: string }> = [];
  for (const host of hosts) {
    const seen = new Map<string, number>();
    let last = -Infinity;
    for (const e of events.filter((x) => x.host === host)) {
      const n = seen.get(e.event) ?? 0;
      seen.set(e.event, n + 1);
      const cause = causes[e.event]?.(host)[n];
      last = cause ? Math.max(cause.t, last) : last;
      placed.push({
        t: last,
        text: hosts.length > 1 ? `${host}: ${monitorText(e)}` : monitorText(e),
      });
    }
  }
  return {
    title: 'ZeroMQ monitor',
    subtitle: hosts.join(', '),
    caption:
      'The side lane shows ZeroMQ’s monitor events in the order each host reported them. Their clock does not line up with the capture’s, so each is drawn beside the first packet that can have caused it (CONNECT_DELAYED its SYN, CONNECTED the SYN-ACK, ACCEPTED the last ACK of the handshake, HANDSHAKE_SUCCEEDED the peer’s first bytes after its 64-byte greeting, DISCONNECTED the peer’s FIN or RST, CLOSED a RST), any other event beside the one before it.',
    events: placed,
  };
}
