import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { onPort, round3 } from '../_lib/packets.ts';
import { stateWalk } from './_scenario.ts';

const PORT = 5087;
const RETRY_MS = 50;
const LIMIT_MS = 2500;
/** A documentation address given to the loopback device: local traffic, not a loopback address. */
const ON_LO = '198.51.100.1';

/** One namespace per case; `key` names its facts. */
const CASES = [
  { key: 'loopback2', name: 'reuse2-127', reuse: '2', timestamps: '1', addr: '127.0.0.1' },
  { key: 'local2', name: 'reuse2-local', reuse: '2', timestamps: '1', addr: ON_LO },
  { key: 'local1', name: 'reuse1-local', reuse: '1', timestamps: '1', addr: ON_LO },
  { key: 'loopback0', name: 'reuse0-127', reuse: '0', timestamps: '1', addr: '127.0.0.1' },
  { key: 'noTimestamps1', name: 'reuse1-nots', reuse: '1', timestamps: '0', addr: ON_LO },
] as const;

export default defineLab({
  title: 'tcp_tw_reuse: a new connection on a 4-tuple in TIME-WAIT',
  verifies: `Verify: with a single ephemeral port, connect() again to the same address and port right after the connecting end closed first (TIME-WAIT). It fails with EADDRNOTAVAIL until tcp_tw_reuse lets it take over the TIME-WAIT entry: with 2 (the default) only for a 127.0.0.0/8 address, not for another address on the lo device; with 1 for any; never with 0, and never without TCP timestamps. Where it is allowed, it succeeds about a second after TIME-WAIT began; each namespace retries every ${RETRY_MS} ms for ${LIMIT_MS / 1000} s.`,
  takeaway:
    'connect() can take over a four-tuple still in TIME-WAIT only with tcp_tw_reuse, by default for loopback addresses only, and only with TCP timestamps on; otherwise it fails with EADDRNOTAVAIL when no other source port is free.',
  probes: ['teardown/tw-reuse.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const hosts = await Promise.all(
      CASES.map((c) =>
        ctx.host(c.name, {
          sysctls: {
            'net.ipv4.ip_local_port_range': '40000 40000',
            'net.ipv4.tcp_tw_reuse': c.reuse,
            'net.ipv4.tcp_timestamps': c.timestamps,
          },
        }),
      ),
    );
    for (const [i, c] of CASES.entries()) {
      if (c.addr === ON_LO) await hosts[i].run(['ip', 'addr', 'add', `${ON_LO}/32`, 'dev', 'lo']);
    }
    // The wire of the first namespace (loopback): the first connection, then, a second later,
    // the second SYN from the same port. Failed connect()s never reach the wire.
    const capture = await ctx.capture(hosts[0], 'lo');
    const probes = CASES.map((c, i) =>
      ctx.probe(hosts[i], 'teardown/tw-reuse.c', [c.addr, PORT, RETRY_MS, LIMIT_MS]),
    );
    const results = await Promise.all(probes.map((p) => p.waitFor('result', LIMIT_MS + 10_000)));
    const recycled = await Promise.all(hosts.map((h) => counters(h)));
    const reuseDelay = await hosts[0].readSysctl('net.ipv4.tcp_tw_reuse_delay');
    const packets = await capture.stop();
    const syns = onPort(packets, PORT).filter((p) => p.tcp.syn && !p.tcp.ack);

    const outcome = (i: number) => (results[i].reused ? 'ok' : String(results[i].errno));
    const firstEvent = probes[0].events.find((e) => e.event === 'first');
    return {
      inherentWaitS: LIMIT_MS / 1000,
      hosts: [{ name: CASES[0].name, addrs: [CASES[0].addr] }],
      facts: {
        // Each namespace's first connect() after the close, in CASES order.
        firstAttempts: probes.map((p) => {
          const first = p.events.find((e) => e.event === 'attempt');
          return first?.ret === 0 ? 'ok' : String(first?.errno);
        }),
        loopback2: outcome(0),
        local2: outcome(1),
        local1: outcome(2),
        loopback0: outcome(3),
        noTimestamps1: outcome(4),
        loopback2AfterMs: results[0].reused ? Number(results[0].afterMs) : undefined,
        local1AfterMs: results[2].reused ? Number(results[2].afterMs) : undefined,
        attemptsPerNamespace: results.map((r) => Number(r.attempts)),
        loopback2SamePort: results[0].reused ? results[0].sport === firstEvent?.sport : undefined,
        // The 4-tuple as sock_diag saw it: TIME-WAIT, then the new connection in its place.
        loopback2TupleWalk: [
          ...stateWalk(probes[0]),
          ...probes[0].events.filter((e) => e.event === 'tuple-now').map((e) => String(e.state)),
        ].filter((st, k, all) => st !== all[k - 1]),
        twRecycled: recycled.map((c) => c.TcpExtTWRecycled),
        reuseDelayMs: reuseDelay,
        // In the first namespace: the local port of each SYN, and when the second followed.
        synPorts: syns.map((p) => p.tcp.srcPort),
        secondSynAfterS: syns.length > 1 ? round3(syns[1].t - syns[0].t) : undefined,
      },
    };
  },
  claims: [
    {
      id: 'blocked-at-first',
      says: 'Right after the close, the new connect() fails with EADDRNOTAVAIL in every namespace: the only port is held by TIME-WAIT.',
      fact: 'firstAttempts',
      expect: { equals: Array(CASES.length).fill('EADDRNOTAVAIL') },
      kernel: {
        since: '6.14',
        before: { matches: '^(EADDRNOTAVAIL|ok)(,(EADDRNOTAVAIL|ok)){4}$' },
        change:
          'ca6a6f93867a "tcp: Add sysctl to configure TIME-WAIT reuse delay" (6.14): reuse waits tcp_tw_reuse_delay (1000 ms) after TIME-WAIT began; before, only until the next wall-clock second after the last timestamp, which can come within milliseconds',
      },
    },
    {
      id: 'loopback-only',
      says: 'tcp_tw_reuse = 2 (the default) reuses the tuple for 127.0.0.1, but not for a local address outside 127.0.0.0/8, although both go over the lo device.',
      observe: (r) => [r.facts.loopback2, r.facts.local2],
      expect: { equals: ['ok', 'EADDRNOTAVAIL'] },
    },
    {
      id: 'reuse-1',
      says: 'tcp_tw_reuse = 1 reuses it for any address; 0 never does.',
      observe: (r) => [r.facts.local1, r.facts.loopback0],
      expect: { equals: ['ok', 'EADDRNOTAVAIL'] },
    },
    {
      id: 'needs-timestamps',
      says: 'Without TCP timestamps the TIME-WAIT entry is never reused, even with tcp_tw_reuse = 1.',
      fact: 'noTimestamps1',
      expect: { equals: 'EADDRNOTAVAIL' },
    },
    {
      id: 'after-a-second',
      says: 'Where reuse is allowed, it happens about one second after TIME-WAIT began (ms, the later of the two).',
      observe: (r) => Math.max(Number(r.facts.loopback2AfterMs), Number(r.facts.local1AfterMs)),
      expect: { between: [950, 1600] },
      kernel: {
        since: '6.14',
        before: { between: [0, 1600] },
        change:
          'ca6a6f93867a "tcp: Add sysctl to configure TIME-WAIT reuse delay" (6.14): tcp_tw_reuse_delay, 1000 ms after TIME-WAIT began; before, the next second of ktime_get_seconds() after the last timestamp received',
      },
    },
    {
      id: 'same-tuple',
      says: 'The new connection has the same local port (both SYNs leave from port 40000), the TIME-WAIT entry gives way to it (sock_diag follows the 4-tuple from TIME-WAIT straight to the new connection: ESTABLISHED, or SYN-SENT first when a 0.5 ms sample falls inside its handshake), and nstat counts TWRecycled where reuse happened.',
      observe: (r) => {
        const walk = r.facts.loopback2TupleWalk as string[];
        return [
          r.facts.loopback2SamePort,
          r.facts.synPorts,
          walk.slice(walk.lastIndexOf('TIME-WAIT')),
          r.facts.twRecycled,
        ];
      },
      // The new socket is hashed on the 4-tuple in SYN-SENT, in the TIME-WAIT entry's place, and
      // stays so until the SYN-ACK is processed: microseconds on loopback here, but a slow
      // (emulated) machine stretches it to milliseconds and the watcher samples it.
      expect: {
        oneOf: [
          [true, [40000, 40000], ['TIME-WAIT', 'ESTAB'], [1, 0, 1, 0, 0]],
          [true, [40000, 40000], ['TIME-WAIT', 'SYN-SENT', 'ESTAB'], [1, 0, 1, 0, 0]],
        ],
      },
    },
  ],
});
