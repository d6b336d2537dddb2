import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { waitUntil } from '../_lib/wait.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';
import { nextStep } from './_scenario.ts';

const PORT = 5091;
const NO_TIMESTAMPS = { 'net.ipv4.tcp_timestamps': '0' };
/** Connections 1..4 each receive one blind RST at once, after the namespace limit is set to 1. */
const FRESH = [1, 2, 3, 4];

export default defineLab({
  title: 'Challenge ACKs are rate-limited per socket and per namespace',
  verifies:
    'Verify: two in-window RSTs on one connection within tcp_invalid_ratelimit (500 ms) draw one challenge ACK; the second is skipped (TCPACKSkippedChallenge). The namespace-wide tcp_challenge_ack_limit defaults to INT_MAX (no limit); set to 1, it lets only one of four RSTs sent at once to four fresh connections be answered, although none of them is limited per socket.',
  takeaway:
    'Challenge ACKs are rate-limited per socket by tcp_invalid_ratelimit. Since Linux 6.0 the namespace-wide tcp_challenge_ack_limit is off by default; when set, it leaves RSTs unanswered that no per-socket limit held back.',
  probes: ['teardown/challenge.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx, {
      client: NO_TIMESTAMPS,
      server: NO_TIMESTAMPS,
    });
    const defaultLimit = await server.readSysctl('net.ipv4.tcp_challenge_ack_limit');
    const srv = ctx.probe(server, 'teardown/challenge.c', ['server', SERVER, PORT, 5]);
    await srv.waitFor('listening');
    const cli = ctx.probe(client, 'teardown/challenge.c', [
      'client',
      SERVER,
      PORT,
      5,
      // Both RSTs in one step, back to back: microseconds apart on any machine. As two steps,
      // the lab's counter poll between them (nstat under emulation: most of a second) could
      // outlast tcp_invalid_ratelimit and let the second RST be answered too.
      'rst-in:0,rst-in:0',
      [...FRESH.map((c) => `rst-in:${c}`), 'data:4'].join(','),
    ]);
    await srv.waitFor((e) => e.event === 'accepted' && e.conn === 4);

    await nextStep(cli);
    // Each RST is either answered (TCPChallengeACK) or held back (TCPACKSkippedChallenge): wait
    // until both are accounted for, whichever way, so the claim shows what happened. The wait
    // ends on the counters; its limit only bounds a machine that never counts them.
    await waitUntil(
      'both RSTs counted as answered or skipped',
      async () => {
        const c = await counters(server);
        return (c.TcpExtTCPChallengeACK ?? 0) + (c.TcpExtTCPACKSkippedChallenge ?? 0) >= 2;
      },
      30_000,
    );
    const perSocket = await counters(server);
    const sentTwice = cli.events.filter((e) => e.event === 'sent' && e.conn === 0);

    const limit = await server.sysctl('net.ipv4.tcp_challenge_ack_limit', '1');
    await nextStep(cli);
    // The data follows the four RSTs on the same path, so once it is read they were all handled.
    await srv.waitFor((e) => e.event === 'read' && e.conn === 4);
    const perNetns = await counters(server);
    const packets = await capture.stop();

    const sports = new Map(
      cli.events
        .filter((e) => e.event === 'connected')
        .map((e) => [Number(e.sport), Number(e.conn)]),
    );
    const acksTo = (conns: number[]) =>
      packets.filter(
        (p) =>
          p.ip.src === SERVER &&
          p.tcp &&
          !p.tcp.syn &&
          conns.includes(sports.get(p.tcp.dstPort) ?? -1) &&
          p.tcp.payloadLength === 0,
      );
    return {
      facts: {
        invalidRatelimitMs: await server.readSysctl('net.ipv4.tcp_invalid_ratelimit'),
        rstGapMs: Math.round((Number(sentTwice[1]?.t) - Number(sentTwice[0]?.t)) * 1e6) / 1e3,
        perSocketChallengeAcks: perSocket.TcpExtTCPChallengeACK,
        perSocketSkipped: perSocket.TcpExtTCPACKSkippedChallenge,
        perSocketAcksOnWire: acksTo([0]).length,
        defaultChallengeAckLimit: defaultLimit,
        challengeAckLimitSet: limit,
        freshConnections: FRESH.length,
        perNetnsChallengeAcks:
          (perNetns.TcpExtTCPChallengeACK ?? 0) - (perSocket.TcpExtTCPChallengeACK ?? 0),
        perNetnsSkippedPerSocket:
          (perNetns.TcpExtTCPACKSkippedChallenge ?? 0) -
          (perSocket.TcpExtTCPACKSkippedChallenge ?? 0),
        // ACKs to connections 1..4 that are not the ACK of connection 4's data.
        perNetnsAcksOnWire: acksTo(FRESH).filter((p) => p.tcp!.relAck !== 6).length,
      },
    };
  },
  claims: [
    {
      id: 'per-socket',
      says: 'Two in-window RSTs on one connection, sent back to back: one challenge ACK, the second skipped by the per-socket limit (tcp_invalid_ratelimit, 500 ms).',
      observe: (r) => [
        r.facts.perSocketChallengeAcks,
        r.facts.perSocketSkipped,
        r.facts.perSocketAcksOnWire,
      ],
      expect: { equals: [1, 1, 1] },
    },
    {
      id: 'default-unlimited',
      says: 'The namespace-wide limit, tcp_challenge_ack_limit, defaults to INT_MAX: no limit.',
      fact: 'defaultChallengeAckLimit',
      expect: { equals: '2147483647' },
      kernel: {
        since: '6.0',
        before: { equals: '1000' },
        change:
          '"tcp: make global challenge ack rate limitation per net-ns and default disabled" (Linux 6.0): per network namespace, default INT_MAX; before, one host-wide budget of 1000 per second (100 before 4.7)',
      },
    },
    {
      id: 'per-netns',
      says: 'Set to 1 per second, it lets only one of four RSTs, sent at once to four connections the per-socket limit does not hold back, be answered (two if the four straddle a second).',
      observe: (r) => [r.facts.perNetnsChallengeAcks, r.facts.perNetnsAcksOnWire],
      expect: {
        oneOf: [
          [1, 1],
          [2, 2],
        ],
      },
    },
    {
      id: 'per-netns-not-per-socket',
      says: 'The RSTs left unanswered are not counted as skipped by the per-socket limit: the namespace budget was empty.',
      fact: 'perNetnsSkippedPerSocket',
      expect: { equals: 0 },
    },
  ],
});
