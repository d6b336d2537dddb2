import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { round3 } from '../_lib/packets.ts';
import { FAR_SERVER } from '../_lib/topology.ts';
import {
  afterClose,
  clientsBehindRouter,
  nextStep,
  retransCount,
  waitForState,
} from './_scenario.ts';

const PORT = 5110;
const RETRIES = 2;

export default defineLab({
  title: 'An orphan on a silent path: tcp_orphan_retries',
  verifies: `Verify: two clients write 10 bytes and close() while a router silently drops everything for the server. The orphan whose namespace has tcp_orphan_retries = ${RETRIES} retransmits its data and FIN a few times and is dropped after a few seconds, without sending RST (TCPAbortOnTimeout); the one with tcp_orphan_retries = 0 is still retransmitting at that point, because 0 does not mean "no retries".`,
  takeaway:
    "A socket its program has closed, with data still unacknowledged on a silent path, is retried as tcp_orphan_retries allows and then dropped without a RST. tcp_orphan_retries = 0 does not mean no retries: it selects the kernel's built-in default.",
  probes: ['teardown/orphan.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { clients, router, server, captures } = await clientsBehindRouter(ctx, [
      { name: `retries-${RETRIES}`, sysctls: { 'net.ipv4.tcp_orphan_retries': String(RETRIES) } },
      { name: 'retries-0', sysctls: { 'net.ipv4.tcp_orphan_retries': '0' } },
    ]);
    const listener = ctx.probe(server, 'teardown/orphan.c', ['server', FAR_SERVER, PORT]);
    const listener2 = ctx.probe(server, 'teardown/orphan.c', ['server', FAR_SERVER, PORT + 1]);
    await listener.waitFor('listening');
    await listener2.waitFor('listening');
    const [short, zero] = [
      ctx.probe(clients[0], 'teardown/orphan.c', ['client', FAR_SERVER, PORT, 0]),
      ctx.probe(clients[1], 'teardown/orphan.c', ['client', FAR_SERVER, PORT + 1, 0]),
    ];
    await listener.waitFor('accepted');
    await listener2.waitFor('accepted');
    await router.run(['ip', 'route', 'add', 'blackhole', FAR_SERVER]);
    ctx.note(router, 'blackhole', { route: FAR_SERVER });
    await Promise.all([nextStep(short), nextStep(zero)]);
    const shortClosed = await short.waitFor('closed');
    const zeroClosed = await zero.waitFor('closed');
    // The wait of this lab: the kernel gives up on the short orphan by itself.
    const shortGone = await waitForState(short, 'GONE', 20_000);
    const zeroAtThatPoint = retransCount(zero);
    // Then until the other orphan has been retransmitting for longer than the first was allowed.
    const zeroMore = await zero.waitFor(
      (e) => e.event === 'state' && Number(e.retrans) > retransCount(short),
      20_000,
    );
    const [shortCounters, zeroCounters] = await Promise.all(clients.map((c) => counters(c)));
    const shortPackets = await captures[0].stop();
    const zeroPackets = await captures[1].stop();

    const short_ = afterClose(shortPackets, PORT);
    const zero_ = afterClose(zeroPackets, PORT + 1);
    return {
      inherentWaitS: round3(shortGone.t - shortClosed.t),
      facts: {
        shortStateAfterClose: shortClosed.state,
        shortRetransmissions: retransCount(short),
        shortSegmentsAfterClose: short_.labels,
        shortSendTimesS: short_.times,
        shortOrphanLifetimeS: round3(shortGone.t - shortClosed.t),
        shortRsts: short_.rsts,
        shortAbortOnTimeout: shortCounters.TcpExtTCPAbortOnTimeout,
        shortLossProbes: shortCounters.TcpExtTCPLossProbes,
        zeroStateAfterClose: zeroClosed.state,
        zeroRetransmissionsWhenShortGone: zeroAtThatPoint,
        zeroStateWhenShortGone: zero.events
          .filter((e) => e.event === 'state' && e.t <= shortGone.t)
          .at(-1)?.state,
        zeroRetransmissionsAtEnd: Number(zeroMore.retrans),
        zeroStateAtEnd: zeroMore.state,
        zeroSendTimesS: zero_.times,
        zeroAbortOnTimeout: zeroCounters.TcpExtTCPAbortOnTimeout,
      },
    };
  },
  claims: [
    {
      id: 'fin-wait-1',
      says: 'Both sockets are orphans in FIN-WAIT-1 right after close(): data and FIN sent, nothing acknowledged.',
      observe: (r) => [r.facts.shortStateAfterClose, r.facts.zeroStateAfterClose],
      expect: { equals: ['FIN-WAIT-1', 'FIN-WAIT-1'] },
    },
    {
      id: 'short-retransmissions',
      says: `With tcp_orphan_retries = ${RETRIES}, the retransmission timer resends the data and FIN 3 times before the kernel drops the orphan (sock_diag; an early loss probe is not counted).`,
      fact: 'shortRetransmissions',
      expect: { equals: 3 },
      kernelNote:
        'the retries are turned into a time, (2^(n+1) − 1) × 200 ms = 1.4 s for n = 2, counted from the first retransmission and checked whenever the timer fires (retransmits_timed_out()); the count follows from the doubling RTO',
    },
    {
      id: 'short-lifetime',
      says: 'It is gone about 3 s after close(), at the first expiry of the timer past that budget (s).',
      fact: 'shortOrphanLifetimeS',
      expect: { between: [2.5, 4.5] },
    },
    {
      id: 'silent',
      says: 'It vanishes without a word: no RST on the wire, and nstat counts TCPAbortOnTimeout.',
      observe: (r) => [r.facts.shortRsts, r.facts.shortAbortOnTimeout],
      expect: { equals: [0, 1] },
    },
    {
      id: 'zero-is-not-zero',
      says: 'With tcp_orphan_retries = 0 the other orphan is still in FIN-WAIT-1 when the first is dropped…',
      fact: 'zeroStateWhenShortGone',
      expect: { equals: 'FIN-WAIT-1' },
    },
    {
      id: 'zero-keeps-going',
      says: '…and goes on to retransmit more often than tcp_orphan_retries = 2 allowed: 0 does not mean "never retry".',
      kernelNote:
        'tcp_orphan_retries() turns 0 into 8 while the RTO is below TCP_RTO_MAX: a budget of 102.2 s, which this lab does not wait for',
      observe: (r) => [
        r.facts.zeroStateAtEnd,
        (r.facts.zeroRetransmissionsAtEnd as number) > (r.facts.shortRetransmissions as number),
      ],
      expect: { equals: ['FIN-WAIT-1', true] },
    },
  ],
});
