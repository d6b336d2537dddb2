import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { onPort, retransmissions } from '../_lib/packets.ts';
import { lateness, monitorEvents, names, nth, synGaps, zmqSocket } from './_scenario.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5555;
const ATTEMPTS = 7;

export default defineLab({
  title: 'ZeroMQ retrying a refused connection',
  verifies: `Verify: a DEALER connecting to 198.51.100.2:${PORT}, where nothing listens, sends SYN → RST/ACK again and again; each attempt is reported as connect:delay, close, connect:retry, and the attempts are ZMQ_RECONNECT_IVL (100 ms) plus up to 100 ms of jitter apart.`,
  // The Node probe zeromq/_zmq-probe.ts is shown in the chapter; the lab card lists C probes only.
  takeaway:
    'A ZeroMQ socket retries a refused connection with a new TCP socket each time, waiting ZMQ_RECONNECT_IVL plus a random jitter of up to the same amount, and its monitor reports each attempt without the ECONNREFUSED behind it.',
  probes: [],
  run: async (ctx: LabContext) => {
    const { client, capture } = await clientServer(ctx);
    const dealer = await zmqSocket(ctx, client, {
      type: 'dealer',
      connect: `tcp://${SERVER}:${PORT}`,
    });
    await nth(dealer, 'zmq:connect:retry', ATTEMPTS, 15_000);
    await dealer.stop();
    const packets = await capture.stop();

    const events = monitorEvents(dealer);
    const firstRetry = events.findIndex((e) => e.event === 'zmq:connect:retry');
    const tcpPackets = onPort(packets, PORT);
    const syns = tcpPackets.filter((p) => p.tcp.syn && !p.tcp.ack);
    const rsts = tcpPackets.filter((p) => p.tcp.rst);
    const reported = events
      .filter((e) => e.event === 'zmq:connect:retry')
      .map((e) => Number(e.interval));
    const gaps = synGaps(packets, PORT);
    const sorted = [...gaps].sort((a, b) => a - b);
    return {
      inherentWaitS: 1.05,
      facts: {
        firstAttemptEvents: names(events.slice(0, firstRetry + 1)),
        connectedEvents: events.filter((e) => e.event === 'zmq:connect').length,
        syns: syns.length,
        rsts: rsts.length,
        everyAttemptIsSynRst:
          syns.length > 1 &&
          tcpPackets.every((p, i) => p.tcp.flags === (i % 2 ? 'R.' : 'S')) &&
          tcpPackets.length % 2 === 0,
        distinctSourcePorts: new Set(syns.map((p) => p.tcp.srcPort)).size,
        retransmissions: retransmissions(packets).length,
        reportedIntervalsMs: reported,
        minReportedMs: Math.min(...reported),
        maxReportedMs: Math.max(...reported),
        synGapsS: gaps,
        medianGapS: sorted[Math.floor(sorted.length / 2)],
        ...lateness(gaps, reported),
      },
    };
  },
  claims: [
    {
      id: 'events-per-attempt',
      says: 'The monitor reports each refused attempt as CONNECT_DELAYED, CLOSED, CONNECT_RETRIED (zeromq.js: connect:delay, close, connect:retry).',
      fact: 'firstAttemptEvents',
      expect: { equals: ['connect:delay', 'close', 'connect:retry'] },
    },
    {
      id: 'no-connected',
      says: 'CONNECTED is never reported: a refused connect is only a delay and a retry.',
      fact: 'connectedEvents',
      expect: { equals: 0 },
    },
    {
      id: 'pairs',
      says: 'Every attempt on the wire is one SYN answered by one RST/ACK.',
      fact: 'everyAttemptIsSynRst',
      expect: { equals: true },
    },
    {
      id: 'new-port',
      says: 'Each attempt comes from a new source port: the library opens a new socket, TCP does not retransmit.',
      observe: (r) => [r.facts.distinctSourcePorts === r.facts.syns, r.facts.retransmissions],
      expect: { equals: [true, 0] },
    },
    {
      id: 'reported-min',
      says: 'CONNECT_RETRIED carries the wait before the next attempt: never below ZMQ_RECONNECT_IVL (100 ms)…',
      fact: 'minReportedMs',
      expect: { atLeast: 100 },
    },
    {
      id: 'reported-max',
      says: '…and never 200 ms or more: the jitter is a random value below the interval itself.',
      fact: 'maxReportedMs',
      expect: { atMost: 199 },
    },
    {
      id: 'wire-gap',
      says: 'On the wire, SYNs leave 0.1–0.2 s apart (window widened to 0.3 s for a loaded machine).',
      fact: 'medianGapS',
      expect: { between: [0.09, 0.3] },
    },
    {
      id: 'never-early',
      says: 'No SYN leaves before the wait the monitor announced for it (a timer can be late on a busy machine, never early).',
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
