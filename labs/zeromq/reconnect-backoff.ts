/**
 * Verify: with ZMQ_RECONNECT_IVL 100 ms and ZMQ_RECONNECT_IVL_MAX 800 ms the wait between refused
 * attempts doubles, 100 → 200 → 400 → 800, then stays at 800 ms, exactly:
 * and no jitter (libzmq adds one only without a maximum); the SYNs on the wire follow the waits.
 */
import { defineLab } from '../_lib/define.ts';
import { lateness, monitorEvents, nth, synGaps, zmqSocket } from './common.ts';

const PORT = 5555;
const RETRIES = 6;

export default defineLab({
  id: 'zeromq/reconnect-backoff',
  title: 'ZMQ_RECONNECT_IVL_MAX: exponential back-off',
  verifies:
    'Verify: with ZMQ_RECONNECT_IVL 100 and ZMQ_RECONNECT_IVL_MAX 800, the reconnect waits announced by CONNECT_RETRIED double from 100 ms to 800 ms and stay there, without jitter, and the SYN → RST/ACK pairs on the wire follow them.',
  // The Node probe zeromq/zmq-probe.ts is shown in the chapter; the lab card lists C probes only.
  probes: [],
  claims: [
    {
      id: 'doubling',
      says: 'The announced waits are exactly 100, 200, 400, 800, 800, 800 ms: doubled up to the maximum.',
      observe: (r) => r.facts.reportedIntervalsMs,
      expect: { equals: [100, 200, 400, 800, 800, 800] },
    },
    {
      id: 'no-jitter',
      says: 'With ZMQ_RECONNECT_IVL_MAX set there is no random jitter at all (without it, every wait gets one).',
      observe: (r) => r.facts.maxJitterMs,
      expect: { equals: 0 },
      kernelNote:
        'libzmq 4.3.x get_new_reconnect_ivl(): the jitter is added only when reconnect_ivl_max is 0',
    },
    {
      id: 'wire-max-gap',
      says: 'Once at the maximum, SYNs leave 0.8 s apart (median of the last three gaps; window 0.79–1.2 s for a loaded machine).',
      observe: (r) => r.facts.medianMaxGapS,
      expect: { between: [0.79, 1.2] },
    },
    {
      id: 'never-early',
      says: 'No SYN leaves before its announced wait is over.',
      observe: (r) => r.facts.minGapMinusReportedMs,
      expect: { atLeast: -5 },
    },
    {
      id: 'gap-is-interval',
      says: 'Each gap is the announced wait, give or take scheduling: median lateness at most 150 ms (a few ms on an idle machine).',
      observe: (r) => r.facts.medianLatenessMs,
      expect: { atMost: 150 },
    },
  ],
  async run(ctx) {
    const client = await ctx.host('client');
    const server = await ctx.host('server');
    await ctx.link(client, server, { a: '198.51.100.1/24', b: '198.51.100.2/24', mtu: 1500 });
    const capture = await ctx.capture(client);
    const dealer = await zmqSocket(ctx, client, {
      type: 'dealer',
      connect: `tcp://198.51.100.2:${PORT}`,
      reconnectIvl: 100,
      reconnectIvlMax: 800,
    });
    // Wait for the SYN that follows the last announced wait, so every wait has its gap on the wire.
    await nth(dealer, 'zmq:connect:retry', RETRIES + 1, 20_000);
    await dealer.stop();
    const packets = await capture.stop();

    const reported = monitorEvents(dealer)
      .filter((e) => e.event === 'zmq:connect:retry')
      .map((e) => Number(e.interval))
      .slice(0, RETRIES);
    const gaps = synGaps(packets, PORT).slice(0, RETRIES);
    return {
      hosts: ctx.hostInfo(),
      packets,
      events: ctx.events,
      inherentWaitS: 3.1,
      facts: {
        reportedIntervalsMs: reported,
        maxJitterMs: Math.max(...reported.map((ms, i) => ms - [100, 200, 400, 800, 800, 800][i])),
        synGapsS: gaps,
        medianMaxGapS: [...gaps.slice(3)].sort((a, b) => a - b)[1],
        ...lateness(gaps, reported),
      },
    };
  },
});
