/**
 * What a lab gets to work with: hosts (network namespaces), links (veth pairs), probes (C
 * programs run inside a host), captures and observers. Everything made here is registered for
 * cleanup where it is created, and `cleanup()` undoes it in reverse order on every exit path.
 *
 * Design limits: runs only inside the sandbox (see sandbox.ts), where /run is private, so host
 * names can be short fixed words ("client", "server") without colliding with anything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx/core';
import { BASELINE_SYSCTLS, RECORDED_SYSCTLS } from './baseline.ts';
import { EXIT, LabError } from './errors.ts';
import { decodePcap } from './pcap.ts';
import { buildProbe, LABS_DIR } from './probes.ts';
import type { Capture, Host, HostInfo, LabContext, LabEvent, LinkOptions, Probe } from './types.ts';

/**
 * Short commands: quiet, bounded, and failing loudly (a failed setup command is a setup error).
 * stdin is /dev/null, not a pipe: Debian's bash treats a socket on stdin as a remote login and
 * sources ~/.bashrc (which may run pyenv, write to $HOME, and cost 100 ms per command).
 */
const sh = $({ quiet: true, timeout: '20s', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * Run by `sh -c` inside a host with arguments N, N keys to read only, then "key=value" pairs: sets
 * the pairs, then reads every key back in one `sysctl` (keys never hold blanks or glob
 * characters; values, passed as arguments, never reach the script's text).
 */
const SET_THEN_READ_SYSCTLS =
  'keys=; n=$1; shift; while [ "$n" -gt 0 ]; do keys="$keys $1"; shift; n=$((n - 1)); done; ' +
  '[ $# -eq 0 ] || sysctl -q -w "$@"; for kv; do keys="$keys ${kv%%=*}"; done; exec sysctl $keys';

/** Seconds since the context started, on the monotonic clock the probes also use. */
const monotonicNow = () => Number(process.hrtime.bigint()) / 1e9;

/** The lab API of types.ts, implemented with `ip`, C probes and captures inside the sandbox. */
export class SandboxContext implements LabContext {
  readonly events: LabEvent[] = [];
  readonly sysctls: Record<string, string> = {};
  readonly hosts: Host[] = [];
  readonly pcaps: Buffer[] = [];
  /** Sysctls that could not be pinned, noted once per run (every host's value is recorded). */
  private readonly unpinned = new Set<string>();
  private readonly t0 = monotonicNow();
  private readonly undo: Array<() => Promise<void> | void> = [];
  private readonly workDir: string;
  private links = 0;
  private batches = 0;

  constructor() {
    // /run is the sandbox's private tmpfs: files here vanish with the run, even after SIGKILL.
    this.workDir = mkdtempSync(join('/run', 'lab-'));
    this.undo.push(() => rmSync(this.workDir, { recursive: true, force: true }));
  }

  /** Seconds since the lab started. */
  elapsed(): number {
    return round6(monotonicNow() - this.t0);
  }

  /** Records a lab-level observation on the timeline. */
  note(host: Host | string, event: string, fields: Record<string, unknown> = {}): LabEvent {
    const e: LabEvent = {
      t: this.elapsed(),
      host: typeof host === 'string' ? host : host.name,
      event,
      ...fields,
    };
    this.events.push(e);
    return e;
  }

  /**
   * Creates a host with loopback up and the baseline sysctls pinned. IPv6 is off unless asked
   * for, so no router solicitation or MLD report lands in a capture that is about IPv4.
   */
  async host(
    name: string,
    opts: { sysctls?: Record<string, string>; ipv6?: boolean } = {},
  ): Promise<Host> {
    await sh`ip netns add ${name}`;
    this.undo.push(() => sh`ip netns del ${name}`.nothrow().then(() => {}));
    const addrs: string[] = [];
    const run = async (argv: string[]) => (await sh`ip netns exec ${name} ${argv}`).stdout;
    const readSysctls = async (keys: string[]) =>
      parseSysctlLines((await sh`ip netns exec ${name} sysctl ${keys}`.nothrow()).stdout);
    /**
     * Sets several sysctls and reads them back, in one command (one `ip netns exec`, which costs
     * a mount), and records what the kernel reports, not what was asked for. `observed` keys are
     * only read and recorded (the congestion control a namespace cannot pin: baseline.ts).
     */
    const setSysctls = async (wanted: Record<string, string>, observed: string[] = []) => {
      const keys = Object.keys(wanted);
      const out =
        await sh`ip netns exec ${name} sh -c ${SET_THEN_READ_SYSCTLS} sh ${observed.length} ${observed} ${keys.map((k) => `${k}=${wanted[k]}`)}`.nothrow();
      const actual = parseSysctlLines(out.stdout);
      for (const key of observed) this.sysctls[`${name}:${key}`] = actual.get(key) ?? '(absent)';
      for (const key of keys) {
        const value = actual.get(key) ?? '(absent)';
        this.sysctls[`${name}:${key}`] = value;
        if (value !== wanted[key] && !this.unpinned.has(key)) {
          this.unpinned.add(key);
          // Recorded, not fatal: an older kernel lacks a newer knob. The run's sysctls show what
          // really applied.
          const error =
            out.stderr
              .split('\n')
              .find((l) => l.includes(key))
              ?.trim() ?? '';
          this.note(name, 'sysctl-not-pinned', { key, wanted: wanted[key], actual: value, error });
        }
      }
    };
    const host: Host = {
      name,
      addrs,
      run,
      readSysctl: async (key) => (await readSysctls([key])).get(key) ?? '(absent)',
      sysctl: async (key, value) => {
        await setSysctls({ [key]: value });
        return this.sysctls[`${name}:${key}`];
      },
    };
    await sh`ip -n ${name} link set lo up`;
    const ipv6Off = opts.ipv6 ? '0' : '1';
    const pinned = {
      ...BASELINE_SYSCTLS,
      'net.ipv6.conf.all.disable_ipv6': ipv6Off,
      'net.ipv6.conf.default.disable_ipv6': ipv6Off,
      ...opts.sysctls,
    };
    await setSysctls(pinned, RECORDED_SYSCTLS);
    this.hosts.push(host);
    return host;
  }

  /**
   * Joins two hosts with a veth pair, addresses and MTU; both ends up. Two `ip -batch` commands,
   * one per side, instead of a dozen: the MACs are chosen here (locally administered, numbered by
   * link), so the permanent neighbour entries need no lookup.
   */
  async link(a: Host, b: Host, opts: LinkOptions): Promise<{ ifA: string; ifB: string }> {
    const ifA = opts.ifA ?? `veth-${b.name}`.slice(0, 15);
    const ifB = opts.ifB ?? `veth-${a.name}`.slice(0, 15);
    const n = ++this.links;
    const macA = linkMac(n, 0xa);
    const macB = linkMac(n, 0xb);
    const mtu = opts.mtu ? `mtu ${opts.mtu}` : '';
    // Permanent neighbour entries: no ARP or neighbour discovery on the wire, so a capture
    // holds only the packets the lab is about, and the first SYN is not delayed by a lookup.
    // nodad: IPv6 addresses are usable at once instead of after duplicate detection.
    const side = (ifname: string, cidr: string, peer: string, peerMac: string) => [
      `addr add ${cidr} dev ${ifname}${cidr.includes(':') ? ' nodad' : ''}`,
      `link set ${ifname} up`,
      `neigh replace ${peer.split('/')[0]} lladdr ${peerMac} dev ${ifname} nud permanent`,
    ];
    await this.ipBatch(a, [
      `link add ${ifA} address ${macA} ${mtu} type veth peer name ${ifB} address ${macB} ${mtu} netns ${b.name}`,
      ...side(ifA, opts.a, opts.b, macB),
    ]);
    await this.ipBatch(b, side(ifB, opts.b, opts.a, macA));
    a.addrs.push(opts.a.split('/')[0]);
    b.addrs.push(opts.b.split('/')[0]);
    return { ifA, ifB };
  }

  /** Runs `ip` commands in one host with one process (`ip -n host -batch file`). */
  private async ipBatch(host: Host, commands: string[]): Promise<void> {
    // ip splits batch lines on blanks: every word here is a name, address or number of ours.
    const file = join(this.workDir, `batch-${++this.batches}`);
    writeFileSync(file, `${commands.join('\n')}\n`);
    await sh`ip -n ${host.name} -batch ${file}`;
  }

  /** Starts a C probe (`probes/tcp-client.c`) inside a host. Arguments are passed as argv, never through a shell. */
  probe(host: Host, name: string, args: Array<string | number>): Probe {
    const binary = buildProbe(name);
    const child = spawn('ip', ['netns', 'exec', host.name, binary, ...args.map(String)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const probe = new RunningProbe(host, name, child, this.t0, (e) => this.events.push(e));
    this.undo.push(() => probe.stop('SIGKILL').then(() => {}));
    return probe;
  }

  /**
   * Starts a Node script (`zeromq/zmq-probe.ts`, relative to labs/) inside a host, run by this
   * same Node. It speaks the C probes' protocol: one JSON event per line on stdout, with `mono`
   * in CLOCK_MONOTONIC seconds (`Number(process.hrtime.bigint()) / 1e9` in Node).
   */
  script(host: Host, name: string, args: Array<string | number>): Probe {
    const child = spawn(
      'ip',
      ['netns', 'exec', host.name, process.execPath, join(LABS_DIR, name), ...args.map(String)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const probe = new RunningProbe(host, name, child, this.t0, (e) => this.events.push(e));
    this.undo.push(() => probe.stop('SIGKILL').then(() => {}));
    return probe;
  }

  /** Starts an AF_PACKET capture in a host (all its interfaces unless one is named). */
  async capture(host: Host, iface?: string, opts: { record?: boolean } = {}): Promise<Capture> {
    const file = join(this.workDir, `${host.name}-${this.pcaps.length}.pcap`);
    const probe = this.probe(host, 'probes/capture.c', iface ? [file, iface] : [file]);
    await probe.waitFor('ready');
    let raw: Buffer | undefined;
    return {
      get pcap() {
        return raw;
      },
      waitForPacket: async (match, timeoutMs = 10_000) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          // A record still being written is skipped by the decoder (truncated last record).
          const found = decodePcap(readFileSync(file)).find(match);
          if (found) return found;
          if (Date.now() > deadline)
            throw new LabError(
              EXIT.setup,
              `Capture in ${host.name}: no matching packet within ${timeoutMs} ms.`,
            );
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
      stop: async () => {
        await probe.stop('SIGTERM');
        raw = readFileSync(file);
        if (opts.record !== false) this.pcaps.push(raw);
        return decodePcap(raw);
      },
    };
  }

  /** The hosts as ladder columns. */
  hostInfo(): HostInfo[] {
    return this.hosts.map((h) => ({ name: h.name, addrs: [...h.addrs] }));
  }

  /** Undoes everything in reverse order; never throws (cleanup must reach the end). */
  async cleanup(): Promise<void> {
    while (this.undo.length) {
      const step = this.undo.pop()!;
      try {
        await step();
      } catch {
        // Keep going: the sandbox's namespaces die with it anyway.
      }
    }
  }
}

const MISSING_FEATURE_ERRNOS = new Set([
  'EAFNOSUPPORT',
  'EPROTONOSUPPORT',
  'ENOPROTOOPT',
  'ESOCKTNOSUPPORT',
]);

class RunningProbe implements Probe {
  readonly events: LabEvent[] = [];
  readonly exited: Promise<number | null>;
  private readonly waiters: Array<{
    match: (e: LabEvent) => boolean;
    resolve: (e: LabEvent) => void;
  }> = [];
  private exitCode: number | null | undefined;
  private stderr = '';
  readonly host: Host;
  private readonly name: string;
  private readonly child: ChildProcess;
  private readonly t0: number;

  constructor(
    host: Host,
    name: string,
    child: ChildProcess,
    t0: number,
    sink: (e: LabEvent) => void,
  ) {
    this.host = host;
    this.name = name;
    this.child = child;
    this.t0 = t0;
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.trim()) continue;
        const e = this.parse(line);
        this.events.push(e);
        sink(e);
        for (const w of this.waiters.filter((w) => w.match(e))) w.resolve(e);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      child.on('close', (code) => {
        this.exitCode = code;
        resolve(code);
      });
      child.on('error', () => resolve(null));
    });
  }

  private parse(line: string): LabEvent {
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(line);
    } catch {
      fields = { event: 'output', text: line };
    }
    const { mono, ...rest } = fields as {
      mono?: number;
      event?: unknown;
      [field: string]: unknown;
    };
    const t = typeof mono === 'number' ? round6(mono - this.t0) : round6(monotonicNow() - this.t0);
    return { t, host: this.host.name, event: String(rest.event ?? 'output'), ...rest } as LabEvent;
  }

  waitFor(event: string | ((e: LabEvent) => boolean), timeoutMs = 15_000): Promise<LabEvent> {
    const match = typeof event === 'string' ? (e: LabEvent) => e.event === event : event;
    const what = typeof event === 'string' ? `"${event}"` : 'the awaited event';
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(this.failure(`no ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
      this.exited.then(() => {
        clearTimeout(timer);
        // The line may have arrived just before exit.
        const late = this.events.find(match);
        if (late) resolve(late);
        else reject(this.failure(`exited (code ${this.exitCode}) before ${what}`));
      });
    });
  }

  private failure(what: string): LabError {
    const fatal = this.events.find((e) => e.event === 'fatal');
    const cause = fatal
      ? `${fatal.call} failed with ${fatal.errno}`
      : stderrCause(this.stderr) || what;
    // These errnos mean the kernel lacks the protocol or option, not that the lab went wrong.
    if (fatal && MISSING_FEATURE_ERRNOS.has(String(fatal.errno))) {
      return new LabError(
        EXIT.unsupported,
        `This kernel lacks a feature the lab needs: ${cause} in probe ${this.name}.`,
        'The lab cannot run on this kernel; the chapter shows the recorded run instead.',
      );
    }
    return new LabError(EXIT.setup, `Probe ${this.name} in ${this.host.name}: ${cause} (${what}).`);
  }

  signal(signal: NodeJS.Signals): void {
    // `ip netns exec` execs the probe, so the child's pid is the probe's own.
    if (this.exitCode === undefined) this.child.kill(signal);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill(signal);
    return this.exited;
  }
}

/** A locally administered unicast MAC for end `end` (0xa or 0xb) of link `n`. */
function linkMac(n: number, end: number): string {
  return [
    '02',
    '00',
    '5e',
    '00',
    n.toString(16).padStart(2, '0'),
    end.toString(16).padStart(2, '0'),
  ].join(':');
}

/** `sysctl` prints "key = value" lines and skips keys it cannot read (an older kernel). */
function parseSysctlLines(stdout: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) = (.*)$/.exec(line);
    if (m) values.set(m[1], m[2].trim().replace(/\s+/g, ' '));
  }
  return values;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * One line of a probe's stderr that says why it failed: a Node probe's error line rather than
 * the source excerpt above it, else the last line.
 */
function stderrCause(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.find((l) => /^(\w*Error|error)\b/.test(l)) ?? lines.at(-1) ?? '').slice(0, 300);
}
