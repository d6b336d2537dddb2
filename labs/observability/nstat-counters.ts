import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { waitUntil } from '../_lib/wait.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';

/** Routed through the server, which drops it: the SYN is retransmitted. */
const UNANSWERED = '203.0.113.9';
const PORT = 5000;

/** The counters each event is expected to move, as nstat names them. */
const WATCHED = [
  'TcpActiveOpens',
  'TcpPassiveOpens',
  'TcpAttemptFails',
  'TcpEstabResets',
  'TcpOutRsts',
  'TcpInErrs',
  'TcpRetransSegs',
  'TcpExtListenOverflows',
  'TcpExtListenDrops',
  'TcpExtTCPSynRetrans',
  'TcpExtTCPTimeouts',
  'TcpExtTCPAbortOnClose',
  'TcpExtTCPAbortOnData',
];

type Counters = Record<string, number>;
/** The watched counters that changed between two snapshots, with their deltas. */
function delta(before: Counters, after: Counters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of WATCHED) {
    const d = (after[k] ?? 0) - (before[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

export default defineLab({
  title: 'nstat counters moved by provoked events',
  verifies:
    'Verify: a SYN dropped by a full accept queue adds 1 to ListenOverflows and ListenDrops, an abortive close adds 1 to TcpOutRsts and TcpEstabResets, one SYN retransmission adds 1 to TcpRetransSegs, TCPSynRetrans and TCPTimeouts, each only in its own network namespace.',
  takeaway:
    'Kernel counters record events no socket remembers, each event moving its counters by one, and they are kept per network namespace: a SYN dropped by a full accept queue shows only on the server.',
  probes: ['observability/obs.c'],
  run: async (ctx: LabContext) => {
    const { client, server } = await clientServer(ctx, { capture: false });
    await client.run(['ip', 'route', 'add', '203.0.113.0/24', 'via', SERVER]);
    await server.run(['ip', 'route', 'add', 'blackhole', '203.0.113.0/24']);
    const capture = await ctx.capture(client);

    // Backlog 0: the accept queue holds one connection (full when ack_backlog > backlog), no accept().
    const srv = ctx.probe(server, 'observability/obs.c', [`listen:${SERVER}:${PORT}:0`]);
    await srv.waitFor('done');
    // Client sockets: 0 fills the queue, 1 overflows it, 2 goes to the address that never answers.
    const cli = ctx.probe(client, 'observability/obs.c', [
      `connect:${SERVER}:${PORT}`,
      'established:0',
      'wait',
      `connect:${SERVER}:${PORT}`,
      'wait',
      'close:1',
      'wait',
      'abort:0',
      'wait',
      `connect:${UNANSWERED}:${PORT}`,
      'retrans:2:1',
      'close:2',
    ]);
    // The script's `wait` steps are its arguments 3, 5, 7 and 9.
    const pausedAt = (step: number) => cli.waitFor((e) => e.event === 'waiting' && e.step === step);
    const snap = async () => ({ client: await counters(client), server: await counters(server) });

    await pausedAt(3);
    const s0 = await snap();
    // 1. Overflow: the SYN of socket 1 is dropped; close it before its retransmission (1 s).
    cli.signal('SIGUSR1');
    await pausedAt(5);
    await waitUntil(
      'ListenOverflows to count the dropped SYN',
      async () =>
        ((await counters(server)).TcpExtListenOverflows ?? 0) >
        (s0.server.TcpExtListenOverflows ?? 0),
      10_000,
    );
    cli.signal('SIGUSR1');
    await pausedAt(7);
    const s1 = await snap();
    // 2. Reset: socket 0 aborts; the server counts when the RST arrives.
    cli.signal('SIGUSR1');
    await pausedAt(9);
    await waitUntil(
      'the server to take the RST',
      async () => ((await counters(server)).TcpEstabResets ?? 0) > (s1.server.TcpEstabResets ?? 0),
      10_000,
    );
    const s2 = await snap();
    // 3. Retransmission: the probe closes the socket as soon as TCP_INFO counts one retransmission.
    cli.signal('SIGUSR1');
    const retransmitted = await cli.waitFor('retransmitted', 15_000);
    await cli.waitFor((e) => e.event === 'closed' && e.sock === 2);
    const s3 = await snap();
    const packets = await capture.stop();

    const syns = packets
      .filter((p) => p.tcp?.syn && !p.tcp.ack && p.ip.dst === UNANSWERED)
      .map((p) => p.t);
    return {
      // The SYN's initial RTO.
      inherentWaitS: 1,
      facts: {
        overflowServer: delta(s0.server, s1.server),
        overflowClient: delta(s0.client, s1.client),
        resetClient: delta(s1.client, s2.client),
        resetServer: delta(s1.server, s2.server),
        retransClient: delta(s2.client, s3.client),
        retransServer: delta(s2.server, s3.server),
        tcpiTotalRetrans: retransmitted.totalRetrans,
        rstFrom: packets.filter((p) => p.tcp?.rst).map((p) => p.ip.src),
        synRetransGapS:
          syns.length >= 2 ? Math.round((syns[1] - syns[0]) * 1000) / 1000 : undefined,
        serverAbsolute: pickAll(s3.server),
        clientAbsolute: pickAll(s3.client),
      },
    };
  },
  claims: [
    {
      id: 'overflow',
      says: 'A SYN to a listener whose accept queue is full (backlog 0, one connection waiting) adds exactly 1 to TcpExtListenOverflows and 1 to TcpExtListenDrops on the server.',
      observe: (r) => pick(r.facts.overflowServer, ['TcpExtListenOverflows', 'TcpExtListenDrops']),
      expect: { equals: [1, 1] },
    },
    {
      id: 'overflow-client-silent',
      says: 'The client counts only its attempt (TcpActiveOpens 1): nothing tells it the SYN was dropped.',
      fact: 'overflowClient',
      expect: { equals: { TcpActiveOpens: 1 } },
    },
    {
      id: 'reset-client',
      says: 'close() with SO_LINGER {1, 0} on an established connection sends a RST: TcpOutRsts +1 and TcpEstabResets +1 on the client.',
      observe: (r) => pick(r.facts.resetClient, ['TcpOutRsts', 'TcpEstabResets']),
      expect: { equals: [1, 1] },
    },
    {
      id: 'reset-abort-on-data',
      says: 'The same close() also counts TcpExtTCPAbortOnData, although no data was pending: tcp_close() counts every SO_LINGER-0 abort there.',
      fact: 'resetClient',
      expect: { equals: { TcpEstabResets: 1, TcpOutRsts: 1, TcpExtTCPAbortOnData: 1 } },
    },
    {
      id: 'reset-server',
      says: "The server's end, still waiting in the accept queue, takes the RST: TcpEstabResets +1 there.",
      observe: (r) => pick(r.facts.resetServer, ['TcpEstabResets']),
      expect: { equals: [1] },
    },
    {
      id: 'reset-wire',
      says: 'The capture holds exactly one RST, from the client.',
      fact: 'rstFrom',
      expect: { equals: [CLIENT] },
    },
    {
      id: 'retrans',
      says: 'One unanswered SYN retransmitted once adds 1 to TcpRetransSegs, TcpExtTCPSynRetrans and TcpExtTCPTimeouts on the client, as its TCP_INFO tcpi_total_retrans (1) said.',
      observe: (r) => [
        ...pick(r.facts.retransClient, [
          'TcpRetransSegs',
          'TcpExtTCPSynRetrans',
          'TcpExtTCPTimeouts',
        ]),
        r.facts.tcpiTotalRetrans,
      ],
      expect: { equals: [1, 1, 1, 1] },
    },
    {
      id: 'retrans-wire',
      says: 'The capture shows that SYN twice, the copy about 1 s after the original (the initial RTO).',
      fact: 'synRetransGapS',
      expect: { between: [0.9, 1.5] },
      kernelNote:
        'the first SYN retransmission comes after 1 s on any kernel; later ones are linear (1 s) on ≥ 6.5 with tcp_syn_linear_timeouts',
    },
    {
      id: 'per-netns',
      says: "Counters are per network namespace: the server counted none of the client's retransmission, the client none of the server's drops.",
      observe: (r) => [
        r.facts.retransServer,
        pick(r.facts.overflowClient, ['TcpExtListenOverflows']),
      ],
      expect: { equals: [{}, [0]] },
    },
  ],
});

function pick(d: unknown, keys: string[]): number[] {
  const rec = (d ?? {}) as Record<string, number>;
  return keys.map((k) => rec[k] ?? 0);
}

function pickAll(c: Counters): Record<string, number> {
  return Object.fromEntries(WATCHED.map((k) => [k, c[k] ?? 0]));
}
