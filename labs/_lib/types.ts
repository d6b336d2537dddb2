/**
 * The shapes every lab, the site and the tests share; this module imports nothing.
 *
 * Data flow: a lab's `run(ctx)` observes the real kernel and returns its facts; the runner adds
 * the packets, events, hosts and kernel to make a `LabRun`; `npm run labs:record` writes it to
 * `labs/<chapter>/recorded/<lab>.json` (plus the `.pcap`); the site renders those files and vitest
 * asserts each lab's `claims` on them and on live re-runs. Keep these types plain JSON so a
 * recorded file round-trips through `JSON.parse` unchanged.
 */

/** One captured wire packet, decoded. Times are seconds since the first packet of the capture. */
export interface Packet {
  /** Index in the capture, from 0. */
  n: number;
  /** Seconds since the first packet of this capture (microsecond precision). */
  t: number;
  /** Interface the packet was seen on, as named inside the namespace (e.g. `veth0`, `lo`). */
  iface?: string;
  /** `out` when the capturing host sent it, `in` when it received it. */
  dir?: 'in' | 'out';
  ip: {
    version: 4 | 6;
    src: string;
    dst: string;
    /** Total length of the IP packet in bytes (header + payload), as on the wire. */
    length: number;
    ttl: number;
    /** IPv4 identification (absent on IPv6 unless a fragment header is present). */
    id?: number;
    df?: boolean;
    mf?: boolean;
    /** Fragment offset in 8-byte units, as in the header. */
    fragOffset?: number;
    /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6). */
    protocol: number;
  };
  tcp?: {
    srcPort: number;
    dstPort: number;
    /** Flag letters in tcpdump order, e.g. `S`, `S.`, `.`, `P.`, `F.`, `R.`. */
    flags: string;
    syn: boolean;
    ack: boolean;
    fin: boolean;
    rst: boolean;
    psh: boolean;
    urg: boolean;
    seq: number;
    ackNum: number;
    /** Sequence number relative to the sender's ISN (the ISN itself is 0). */
    relSeq: number;
    /** Ack number relative to the receiver's ISN; undefined while that ISN is unknown. */
    relAck?: number;
    window: number;
    options: TcpOptions;
    /** Payload bytes carried by this segment. */
    payloadLength: number;
  };
  udp?: { srcPort: number; dstPort: number; length: number; payloadLength: number };
  icmp?: { type: number; code: number; description: string; mtu?: number };
  igmp?: IgmpMessage;
}

/**
 * An IGMP message (IP protocol 2): RFC 1112 (v1), RFC 2236 (v2), RFC 3376 (v3). `group` is the
 * group a v1/v2 report, a leave or a group-specific query names (0.0.0.0 for a general query);
 * a v3 report names its groups in `records` instead.
 */
export interface IgmpMessage {
  /** 0x11 query, 0x12 v1 report, 0x16 v2 report, 0x17 leave group, 0x22 v3 report. */
  type: number;
  /** IGMP version the message belongs to (a query's version follows from its length). */
  version: 1 | 2 | 3;
  /** `query`, `report`, `leave` (or `type N` for anything else). */
  kind: 'query' | 'report' | 'leave' | string;
  group?: string;
  /** IGMPv3 report: one record per group (RFC 3376 §4.2.4). */
  records?: IgmpRecord[];
}

/** One IGMPv3 group record. */
export interface IgmpRecord {
  /** 1 is_in, 2 is_ex, 3 to_in, 4 to_ex, 5 allow, 6 block (tcpdump's names). */
  type: number;
  mode: string;
  group: string;
  sources: string[];
}

/** TCP options as decoded; absent fields were not present. */
export interface TcpOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  sack?: Array<[number, number]>;
  timestamp?: { val: number; ecr: number };
  /** Option kinds in the order they appeared, tcpdump-style names (`mss`, `sackOK`, `TS`, `nop`, `wscale`). */
  order: string[];
}

/** One line a probe or the lab printed while it ran: `{t, host, event, ...fields}`. */
export interface LabEvent {
  /** Seconds since the scenario started. */
  t: number;
  /** Which host (namespace) it happened on. */
  host: string;
  event: string;
  [field: string]: unknown;
}

/** A host in a scenario: one column of the packet ladder. */
export interface HostInfo {
  name: string;
  /** Addresses that identify this host in the capture. */
  addrs: string[];
}

/** A lab's named observations: errno names, states, counters, timings. Plain JSON values. */
export type Facts = object;

/** Everything one run of one lab observed. `F` is the lab's facts, as its `run` returns them. */
export interface LabRun<F extends Facts = Record<string, unknown>> {
  /** `chapter/lab`, e.g. `handshakes/three-way-handshake`. */
  id: string;
  /** The sentence the lab verifies. */
  verifies: string;
  recordedAt: string;
  kernel: { release: string; version: string; machine: string };
  /** `root` (namespaces created directly) or `userns` (unprivileged user namespace). */
  privilege: 'root' | 'userns';
  /** The per-namespace sysctls the result depends on, as read back after pinning. */
  sysctls: Record<string, string>;
  /** Wall time of the run in milliseconds. */
  wallMs: number;
  /** Seconds of protocol timers the lab must wait through (retransmits, timeouts), for the benchmark. */
  inherentWaitS: number;
  hosts: HostInfo[];
  packets: Packet[];
  events: LabEvent[];
  /** Named observations: errno names, states, counters, timings. Plain JSON values. */
  facts: F;
}

/**
 * How a claim's observed value must look. Declarative so the chapter can print the expectation
 * and vitest can assert it; a claim never reduces to a lab's own boolean.
 */
export type Expectation =
  | { equals: unknown }
  | { oneOf: unknown[] }
  | { between: [number, number] }
  | { atLeast: number }
  | { atMost: number }
  | { matches: string };

/**
 * A kernel release that changed what a claim observes: `expect` holds from `since` on, `before`
 * on older kernels. The verdict picks one by the release the run recorded, so the matrix checks
 * both sides of the boundary.
 */
export interface KernelChange {
  /** The first release with the behaviour `expect` describes, e.g. `6.5`. */
  since: string;
  /** What older kernels show instead. */
  before: Expectation;
  /** What changed, with its source: the commit, or the release note or documentation. */
  change: string;
}

interface ClaimBase {
  id: string;
  /** The statement in plain words, as the chapter shows it. */
  says: string;
  /** The expected value; on kernels older than `kernel.since`, `kernel.before` instead. */
  expect: Expectation;
  kernel?: KernelChange;
  /**
   * A bound on what something costs (a latency, a CPU time), not on what the kernel does. Under
   * emulation (the kernel matrix boots guests under TCG) such a bound may fail without the kernel
   * behaving differently; the matrix reports it apart from real differences.
   */
  cost?: boolean;
  /** Context printed next to the claim (a pinned setting it depends on, a caveat). */
  kernelNote?: string;
}

/**
 * One checkable statement of a lab: shown in the chapter, asserted by the tests. It names the
 * fact it checks (`fact: 'synMss'`, checked by the compiler against the lab's facts), or, for a
 * value computed from several facts or from the run, says how to compute it (`observe`).
 */
export type Claim<F extends Facts = Record<string, unknown>> = ClaimBase &
  (
    | { fact: keyof F & string; observe?: never }
    | { observe: (run: LabRun<F>) => unknown; fact?: never }
  );

/** What a lab's `run` returns. The runner fills in what is left out (see `runLab`). */
export interface LabObservation<F extends Facts> {
  facts: F;
  /** Default: every host the context made, with its addresses. */
  hosts?: HostInfo[];
  /** Default: every stopped capture, decoded, in the order they stopped. */
  packets?: Packet[];
  /** Default: every event of every probe and `ctx.note()`, in arrival order. */
  events?: LabEvent[];
  /** Seconds of protocol timers the run had to wait through (default 0). */
  inherentWaitS?: number;
  /** Sysctls the run read or set besides the pinned baseline. */
  sysctls?: Record<string, string>;
}

/** A lab as its file declares it: one behaviour, one probe set, one list of claims. */
export interface LabDefinition<F extends Facts = Facts> {
  /** Short title for lists and cards. */
  title: string;
  /** One sentence: what this lab verifies, packetdrill style ("Verify: ..."). */
  verifies: string;
  /** What a reader should take away, in one or two plain sentences (shown under the figure). */
  takeaway?: string;
  /** Probe sources this lab runs, relative to `labs/` (linked from the lab card). */
  probes: string[];
  /** Runs the lab inside the sandbox and returns what it observed. */
  run: (ctx: LabContext) => Promise<LabObservation<F>>;
  claims: Claim<F>[];
}

/**
 * A lab as the registry holds it (labs/index.ts): its definition plus what its file's place says.
 * Facts are `any` here because the registry holds labs with different facts.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Lab extends LabDefinition<any> {
  /** `chapter/name`, from `labs/<chapter>/<name>.ts`; also the CLI name and the card's key. */
  id: string;
  /** The lab's own file, relative to `labs/` (`handshakes/three-way-handshake.ts`). */
  source: string;
  /** The page under content/ that shows its card (`handshakes/index`); absent if none does. */
  page?: string;
}

// ---------------------------------------------------------------------------------------------
// What a lab works with (implemented by _lib/context.ts, inside the sandbox).

/** A network namespace standing for one machine. */
export interface Host {
  readonly name: string;
  /** Addresses given to this host, for the ladder columns. */
  readonly addrs: string[];
  /** Runs a command in this host; resolves with stdout. */
  run(argv: string[]): Promise<string>;
  /** Sets a per-namespace sysctl and records the value read back; returns it. */
  sysctl(key: string, value: string): Promise<string>;
  readSysctl(key: string): Promise<string>;
}

/** A running probe: its JSON event lines, collected as they arrive. */
export interface Probe {
  readonly host: Host;
  readonly events: LabEvent[];
  /**
   * Resolves with the first event of that name, or matching that predicate (already seen or
   * future); rejects on exit or timeout.
   */
  waitFor(event: string | ((e: LabEvent) => boolean), timeoutMs?: number): Promise<LabEvent>;
  /** Resolves when the probe exits, with its exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Sends a signal (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Sends a signal without waiting, e.g. SIGUSR1 to move a probe to its next step. */
  signal(signal: NodeJS.Signals): void;
}

/** A packet capture running in one host. */
export interface Capture {
  /** Stops the capture and returns its packets, decoded; also keeps the raw pcap bytes. */
  stop(): Promise<Packet[]>;
  /** The raw pcap file after stop(). */
  readonly pcap: Buffer | undefined;
  /**
   * Resolves with the first packet captured so far or later that matches; rejects after
   * timeoutMs. For packets no probe can report (an IGMP leave sent by the kernel from a timer):
   * the capture flushes after every burst, so polling its file waits on the packet itself.
   */
  waitForPacket(match: (p: Packet) => boolean, timeoutMs?: number): Promise<Packet>;
}

export interface LinkOptions {
  /** Address with prefix on each end, e.g. 198.51.100.1/24. */
  a: string;
  b: string;
  mtu?: number;
  /** Interface names (default veth-<peer>). */
  ifA?: string;
  ifB?: string;
}

/** Hosts, links, probes and captures for one run; everything made is undone after it. */
export interface LabContext {
  /** Every probe event and note so far, in arrival order. */
  readonly events: LabEvent[];
  /** Seconds since the lab started. */
  elapsed(): number;
  /** Records a lab-level observation on the timeline. */
  note(host: Host | string, event: string, fields?: Record<string, unknown>): LabEvent;
  /**
   * Creates a host with loopback up and the baseline sysctls pinned. IPv6 is off unless asked
   * for, so no router solicitation or MLD report lands in a capture that is about IPv4.
   */
  host(name: string, opts?: { sysctls?: Record<string, string>; ipv6?: boolean }): Promise<Host>;
  /** Joins two hosts with a veth pair, addresses and MTU; both ends up. */
  link(a: Host, b: Host, opts: LinkOptions): Promise<{ ifA: string; ifB: string }>;
  /** Starts a C probe (`probes/tcp-client.c`) inside a host, with argv (never a shell). */
  probe(host: Host, name: string, args: Array<string | number>): Probe;
  /** Starts a Node script (relative to labs/) inside a host; it speaks the probes' protocol. */
  script(host: Host, name: string, args: Array<string | number>): Probe;
  /**
   * Starts an AF_PACKET capture in a host (all its interfaces unless one is named). Its packets
   * become the run's packets and .pcap when stopped, unless `record: false` (a capture taken
   * only to compute facts).
   */
  capture(host: Host, iface?: string, opts?: { record?: boolean }): Promise<Capture>;
  /** The hosts as ladder columns. */
  hostInfo(): HostInfo[];
}
