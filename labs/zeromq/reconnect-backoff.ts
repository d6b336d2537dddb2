import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { lateness, monitorEvents, nth, synGaps, zmqSocket } from './_scenario.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5555;
const RETRIES = 6;

export default defineLab({
  title: 'ZMQ_RECONNECT_IVL_MAX: exponential back-off',
  verifies:
    'Verify: with ZMQ_RECONNECT_IVL 100 and ZMQ_RECONNECT_IVL_MAX 800, the reconnect waits announced by CONNECT_RETRIED double from 100 ms to 800 ms and stay there, without jitter, and the SYN → RST/ACK pairs on the wire follow them.',
  // The Node probe zeromq/_zmq-probe.ts is shown in the chapter; the lab card lists C probes only.
  takeaway:
    'With ZMQ_RECONNECT_IVL_MAX set, ZeroMQ doubles its reconnect wait up to that maximum and adds no jitter.',
  probes: [],
  run: async (ctx: LabContext) => {
    const { client, capture } = await clientServer(ctx);
    const dealer = await zmqSocket(ctx, client, {
      type: 'dealer',
      connect: `tcp://${SERVER}:${PORT}`,
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
  claims: [
    {
      id: 'doubling',
      says: 'The announced waits are exactly 100, 200, 400, 800, 800, 800 ms: doubled up to the maximum.',
      fact: 'reportedIntervalsMs',
      expect: { equals: [100, 200, 400, 800, 800, 800] },
    },
    {
      id: 'no-jitter',
      says: 'With ZMQ_RECONNECT_IVL_MAX set there is no random jitter at all (without it, every wait gets one).',
      fact: 'maxJitterMs',
      expect: { equals: 0 },
      kernelNote:
        'libzmq 4.3.x get_new_reconnect_ivl(): the jitter is added only when reconnect_ivl_max is 0',
    },
    {
      id: 'wire-max-gap',
      says: 'Once at the maximum, SYNs leave 0.8 s apart (median of the last three gaps; window 0.79–1.2 s for a loaded machine).',
      fact: 'medianMaxGapS',
      expect: { between: [0.79, 1.2] },
    },
    {
      id: 'never-early',
      says: 'No SYN leaves before its announced wait is over.',
      fact: 'minGapMinusReportedMs',
      expect: { atLeast: -5 },
    },
    {
      id: 'gap-is-interval',
      says: 'Each gap is the announced wait, give or take scheduling: median lateness at most 150 ms (a few ms on an idle machine).',
      fact: 'medianLatenessMs',
      expect: { atMost: 150 },
      cost: true,
    },
  ],
});
