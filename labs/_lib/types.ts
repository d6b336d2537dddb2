/**
 * The shapes every lab, the site and the tests share.
 *
 * Data flow: a lab runs on the real kernel and returns a `LabRun`; `npm run labs:record` writes it
 * to `labs/<chapter>/recorded/<lab>.json` (plus the `.pcap`); the site renders those files and
 * vitest asserts each lab's `claims` on them and on live re-runs. Keep these types plain JSON so a
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

/** Everything one run of one lab observed. */
export interface LabRun {
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
  facts: Record<string, unknown>;
}

/**
 * How a claim's observed value must look. Declarative so the chapter can print the expectation
 * and vitest can assert it with its own matchers; a claim never reduces to a lab's own boolean.
 */
export type Expectation =
  | { equals: unknown }
  | { oneOf: unknown[] }
  | { between: [number, number] }
  | { atLeast: number }
  | { atMost: number }
  | { matches: string };

/** One checkable statement of a lab: shown in the chapter, asserted by the tests. */
export interface Claim {
  id: string;
  /** The statement in plain words, as the chapter shows it. */
  says: string;
  /** Pulls the observed value out of a run. */
  observe: (run: LabRun) => unknown;
  expect: Expectation;
  /** Set where the expectation depends on the kernel version; printed next to the claim. */
  kernelNote?: string;
}

/** A lab: one behaviour, one probe set, one list of claims. Defined with `defineLab`. */
export interface LabDefinition {
  /** `chapter/lab`, e.g. `handshakes/three-way-handshake`; also the CLI name. */
  id: string;
  /** Short title for lists and cards. */
  title: string;
  /** One sentence: what this lab verifies, packetdrill style ("Verify: ..."). */
  verifies: string;
  /** C probe sources this lab runs, relative to `labs/` (shown on the lab card, imported raw). */
  probes: string[];
  claims: Claim[];
  /** Runs the lab inside the sandbox and returns what it observed. */
  run: (ctx: import('./context.ts').LabContext) => Promise<LabObservation>;
}

/** What a lab's `run` returns; the runner adds id, kernel, timing and sysctls to make a `LabRun`. */
export type LabObservation = Pick<LabRun, 'hosts' | 'packets' | 'events' | 'facts'> & {
  inherentWaitS?: number;
  sysctls?: Record<string, string>;
};
