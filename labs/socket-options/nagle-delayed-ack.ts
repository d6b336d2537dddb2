import { defineLab } from '../_lib/define.ts';
import { onPort, type tcp } from '../_lib/packets.ts';
import type { LabContext } from '../_lib/types.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';
import { ms, summarizeUs } from './_scenario.ts';

const PORT = 5100;
const HDR = 200;
const BODY = 100;
const RESP = 300;
/** Requests shown in the capture per mode (few, so the ladder stays readable). */
const SHOWN = 4;
/** Requests timed per mode (not captured): enough for a stable median on a loaded machine. */
const TIMED = 25;

type Seg = ReturnType<typeof tcp>[number];

/**
 * For one connection: each request's header → body gap, whether a pure ACK came between, and how
 * long the server took to acknowledge the header (its delayed-ACK timer, or at once).
 */
function bodyGaps(packets: Seg[], sport: number) {
  const conn = packets.filter((p) => p.tcp.srcPort === sport || p.tcp.dstPort === sport);
  const gaps: number[] = [];
  const afterAck: boolean[] = [];
  const ackDelays: number[] = [];
  for (const hdr of conn.filter((p) => p.tcp.srcPort === sport && p.tcp.payloadLength === HDR)) {
    const end = hdr.tcp.relSeq + HDR;
    const ack = conn.find(
      (q) => q.t >= hdr.t && q.tcp.srcPort === PORT && (q.tcp.relAck ?? 0) >= end,
    );
    if (ack) ackDelays.push(ms(ack.t - hdr.t));
  }
  conn.forEach((p, i) => {
    if (p.tcp.srcPort !== sport || p.tcp.payloadLength !== BODY) return;
    const hdr = conn
      .slice(0, i)
      .reverse()
      .find((q) => q.tcp.srcPort === sport && q.tcp.payloadLength === HDR);
    if (!hdr) return;
    gaps.push(ms(p.t - hdr.t));
    const prev = conn[i - 1];
    afterAck.push(prev.tcp.srcPort === PORT && prev.tcp.payloadLength === 0 && prev.tcp.ack);
  });
  return { gaps, afterAck, ackDelays };
}

async function clientRun(
  ctx: LabContext,
  host: Parameters<LabContext['probe']>[0],
  mode: 'nagle' | 'nodelay',
  count: number,
) {
  const probe = ctx.probe(host, 'socket-options/reqresp.c', [
    'client',
    SERVER,
    PORT,
    mode,
    count,
    HDR,
    BODY,
    RESP,
  ]);
  const connected = await probe.waitFor('connected');
  const done = await probe.waitFor('done', 30_000);
  await probe.exited;
  return { sport: Number(connected.sport), rtts: done.rttsUs as number[] };
}

export default defineLab({
  title: 'Nagle meets delayed ACK: the 40 ms request',
  verifies:
    'Verify: a request written as header then body (two write()s) and answered with one response takes about one delayed-ACK timeout with Nagle on, because the body waits for the ACK of the header and the server delays that ACK; with TCP_NODELAY both leave at once and the request takes well under a millisecond.',
  takeaway:
    'A request written as two small writes and answered with one response stalls for a delayed-ACK timeout with Nagle on: the second write waits for the ACK of the first, which the server delays. TCP_NODELAY, or writing each request in one call, removes the stall.',
  probes: ['socket-options/reqresp.c'],
  run: async (ctx: LabContext) => {
    const { client, server } = await clientServer(ctx, { capture: false });
    const listener = ctx.probe(server, 'socket-options/reqresp.c', [
      'server',
      SERVER,
      PORT,
      HDR + BODY,
      RESP,
    ]);
    await listener.waitFor('listening');

    // Shown: a few requests per mode, captured.
    const capture = await ctx.capture(client);
    const shownNagle = await clientRun(ctx, client, 'nagle', SHOWN);
    const shownNodelay = await clientRun(ctx, client, 'nodelay', SHOWN);
    const packets = await capture.stop();

    // Timed: more requests per mode on fresh connections, outside the capture.
    const nagle = await clientRun(ctx, client, 'nagle', TIMED);
    const nodelay = await clientRun(ctx, client, 'nodelay', TIMED);

    const segs = onPort(packets, PORT);
    const heldNagle = bodyGaps(segs, shownNagle.sport);
    const heldNodelay = bodyGaps(segs, shownNodelay.sport);
    const stalled = heldNagle.gaps
      .map((g, i) => ({ g, afterAck: heldNagle.afterAck[i] }))
      .filter((x) => x.g >= 10);
    const n = summarizeUs(nagle.rtts);
    const d = summarizeUs(nodelay.rtts);
    return {
      // The delayed-ACK waits are the scenario: every stalled request spends one timeout.
      inherentWaitS:
        Math.round([...nagle.rtts, ...shownNagle.rtts].reduce((a, b) => a + b, 0) / 1000) / 1000,
      facts: {
        requestBytes: `${HDR} + ${BODY}`,
        responseBytes: RESP,
        timedRequests: TIMED,
        nagleMedianMs: n.medianMs,
        nagleP10Ms: n.p10Ms,
        nagleP90Ms: n.p90Ms,
        nagleMinMs: n.minMs,
        nagleMaxMs: n.maxMs,
        nodelayMedianMs: d.medianMs,
        nodelayP10Ms: d.p10Ms,
        nodelayP90Ms: d.p90Ms,
        nodelayMaxMs: d.maxMs,
        nagleFirstRequestMs: nagle.rtts[0] / 1000,
        nagleStalledShare:
          Math.round((nagle.rtts.filter((us) => us >= 30_000).length / nagle.rtts.length) * 100) /
          100,
        nagleRttsMs: nagle.rtts.map((us) => us / 1000),
        nodelayRttsMs: nodelay.rtts.map((us) => us / 1000),
        nagleBodyGapsMs: heldNagle.gaps,
        nagleHeaderAckDelaysMs: heldNagle.ackDelays,
        nodelayBodyGapsMs: heldNodelay.gaps,
        nagleMaxBodyGapMs: Math.max(...heldNagle.gaps),
        nodelayMaxBodyGapMs: Math.max(...heldNodelay.gaps),
        stalledShownRequests: stalled.length,
        heldBodyAfterAck: stalled.length > 0 && stalled.every((x) => x.afterAck),
      },
    };
  },
  claims: [
    {
      id: 'nagle-median',
      says: 'With Nagle on, the median request takes about one delayed-ACK timeout (40 ms minimum, plus timer ticks).',
      fact: 'nagleMedianMs',
      expect: { between: [30, 80] },
      kernelNote:
        'TCP_DELACK_MIN is HZ/25 = 40 ms; the timer fires on the next jiffy, so HZ=250 kernels add up to 4 ms',
    },
    {
      id: 'nodelay-median',
      says: 'With TCP_NODELAY, the median request takes well under the delayed-ACK timeout.',
      fact: 'nodelayMedianMs',
      expect: { atMost: 5 },
      cost: true,
    },
    {
      id: 'nagle-most',
      says: 'The stall is the rule, not an outlier: at least 80% of the Nagle requests wait 30 ms or more.',
      fact: 'nagleStalledShare',
      expect: { atLeast: 0.8 },
      kernelNote:
        'the first request never waits (quick-ACK); on a loaded machine a late reply can end interactive mode and let a few more through',
    },
    {
      id: 'first-fast',
      says: 'The first request on a new connection does not wait: the server acknowledges its header at once (quick-ACK mode), and starts delaying ACKs only after it has answered.',
      observe: (r) => (r.facts.nagleHeaderAckDelaysMs as number[] | undefined)?.[0],
      expect: { atMost: 10 },
      kernelNote:
        'Linux heuristics: delayed ACKs start after 1 reply (3 on mainline 5.1 to 5.18 and early 5.10/5.15 stable releases), tunable with net.ipv4.tcp_pingpong_thresh since 6.7',
    },
    {
      id: 'held-body',
      says: "In the capture, the body segment of a stalled request leaves right after the server's pure ACK of the header.",
      fact: 'heldBodyAfterAck',
      expect: { equals: true },
    },
    {
      id: 'held-gap',
      says: 'The body leaves about 40 ms after the header (the largest header → body gap in the Nagle capture).',
      fact: 'nagleMaxBodyGapMs',
      expect: { between: [30, 80] },
    },
    {
      id: 'nodelay-gap',
      says: 'With TCP_NODELAY the body follows the header without waiting for an ACK: every gap is far below the delayed-ACK timeout.',
      fact: 'nodelayMaxBodyGapMs',
      expect: { atMost: 20 },
    },
  ],
});
