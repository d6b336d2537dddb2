import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { round3, tcp } from '../_lib/packets.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { ssInfo, windowsFrom } from './_scenario.ts';

const PORT = 5500;
/** The receiver's SO_RCVBUF (the kernel doubles it): 64 KiB is the smallest that reopens cleanly. */
const RCVBUF = 65536;
/** The sender's SO_SNDBUF, fixed so the send buffer fills at a known size instead of autotuning. */
const SNDBUF = 32768;
const TOTAL = 262144;
/** The sender waits for this many zero-window probes (TCP_INFO tcpi_backoff) before the reader drains. */
const PROBES = 4;

export default defineLab({
  title: 'A receiver that stops reading: zero window, probes, window update',
  verifies:
    "Verify: a receiver that does not read lets its advertised window fall to 0; the sender's non-blocking send() then returns EAGAIN; the sender probes the zero window with empty segments carrying snd_una − 1 at intervals that double, and every answer still advertises window 0; when the reader drains, a window update reopens the window and every byte arrives.",
  takeaway:
    "A receiver that stops reading lets its window fall to zero: the sender's send() blocks or returns EAGAIN, the sender probes the zero window with empty segments at doubling intervals, and the receiver reopens the window with an update as soon as it reads.",
  probes: ['flow-control/bulk.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const sink = ctx.probe(server, 'flow-control/bulk.c', ['sink', SERVER, PORT, RCVBUF, TOTAL]);
    await sink.waitFor('listening');
    const source = ctx.probe(client, 'flow-control/bulk.c', [
      'source',
      SERVER,
      PORT,
      SNDBUF,
      TOTAL,
      PROBES,
    ]);
    const connected = await source.waitFor('connected');
    const blocked = await source.waitFor('blocked');
    const probing = await source.waitFor('probing', 20_000);
    // The connection is stalled and nothing changes until the reader drains: sample both ends.
    const [senderSs] = (await ssInfo(client)).filter((s) => s.peer.endsWith(`:${PORT}`));
    const [receiverSs] = (await ssInfo(server)).filter((s) => s.local.endsWith(`:${PORT}`));
    sink.signal('SIGUSR1');
    const drained = await sink.waitFor('drained', 20_000);
    await source.waitFor('acked', 20_000);
    const packets = await capture.stop();

    const rwin = windowsFrom(packets, SERVER).filter((w) => !w.p.tcp.syn);
    const firstZero = rwin.findIndex((w) => w.bytes === 0);
    const beforeZero = rwin.slice(0, firstZero).map((w) => w.bytes);
    let shrinkSteps = 0;
    for (let i = 1; i < beforeZero.length; i++)
      if (beforeZero[i] < beforeZero[i - 1]) shrinkSteps++;
    // Probes: after the first zero window, empty client segments one below the acknowledged point.
    const zeroAt = firstZero >= 0 ? rwin[firstZero].p.t : Infinity;
    const probes: ReturnType<typeof tcp> = [];
    let acked = 0;
    for (const p of tcp(packets)) {
      if (p.ip.src === SERVER && p.tcp.relAck !== undefined) acked = p.tcp.relAck;
      if (
        p.ip.src === CLIENT &&
        p.t > zeroAt &&
        p.tcp.payloadLength === 0 &&
        !p.tcp.syn &&
        !p.tcp.fin &&
        !p.tcp.rst &&
        p.tcp.relSeq === acked - 1
      ) {
        probes.push(p);
      }
    }
    // A probe's answer is the receiver's next segment, if it comes before the sender's next one.
    const answerOf = (probe: (typeof probes)[number]) => {
      const next = tcp(packets).find((p) => p.n > probe.n);
      return next && next.ip.src === SERVER ? rwin.find((w) => w.p.n === next.n) : undefined;
    };
    const answers = probes.map(answerOf);
    // tcp_oow_rate_limited(): at most one ACK to an out-of-window segment per 500 ms. Probes
    // within 20 ms of that boundary are left out (HZ granularity).
    let lastAnswer = -Infinity;
    let followsRateLimit = probes.length > 0;
    probes.forEach((probe, i) => {
      const since = probe.t - lastAnswer;
      if (Math.abs(since - 0.5) > 0.02 && Boolean(answers[i]) !== since >= 0.5)
        followsRateLimit = false;
      if (answers[i]) lastAnswer = answers[i]!.p.t;
    });
    const edges = rwin
      .filter((w) => w.p.tcp.relAck !== undefined)
      .map((w) => w.p.tcp.relAck! + w.bytes);
    const update = rwin.find((w, i) => i > firstZero && w.bytes > 0);
    const gaps = probes.slice(1).map((p, i) => round3(p.t - probes[i].t));
    const ratios = gaps.slice(1).map((g, i) => round3(g / gaps[i]));
    const dataAfterUpdate = update
      ? tcp(packets).filter(
          (p) => p.ip.src === CLIENT && p.n > update.p.n && p.tcp.payloadLength > 0,
        ).length
      : 0;
    return {
      // Four probe timer expiries: about 0.2 + 0.4 + 0.8 + 1.6 s.
      inherentWaitS: 3,
      facts: {
        sendErrno: blocked.errno,
        writtenBeforeEagain: blocked.written,
        receiverWscale: tcp(packets).find((p) => p.ip.src === SERVER && p.tcp.syn)?.tcp.options
          .wscale,
        windowsBeforeZero: beforeZero,
        windowShrinkSteps: shrinkSteps,
        minReceiverWindow: Math.min(...rwin.map((w) => w.bytes)),
        zeroWindowAcks: rwin.filter((w) => w.bytes === 0).length,
        probeCount: probes.length,
        probeRelSeq: probes.map((p) => p.tcp.relSeq),
        probesAnswered: answers.map(Boolean),
        answersAdvertiseZero: answers.some(Boolean) && answers.every((a) => !a || a.bytes === 0),
        answersFollowRateLimit: followsRateLimit,
        rightEdgeNeverRecedes: edges.every((e, i) => i === 0 || e >= edges[i - 1]),
        firstProbeAfterS: probes.length ? round3(probes[0].t - zeroAt) : undefined,
        probeIntervalsS: gaps,
        probeIntervalRatios: ratios,
        probeIntervalMinRatio: ratios.length ? Math.min(...ratios) : undefined,
        probeIntervalMaxRatio: ratios.length ? Math.max(...ratios) : undefined,
        tcpInfoProbes: probing.probes,
        tcpInfoBackoff: probing.backoff,
        senderSndWnd: probing.sndWnd,
        // ss prints snd_wnd only when it is not 0.
        senderSsSndWnd: senderSs?.info.snd_wnd ?? null,
        senderCwnd: senderSs?.info.cwnd,
        senderCongestionControl: connected.ca,
        senderSendQ: senderSs?.sendQ,
        senderRecvQ: senderSs?.recvQ,
        receiverRecvQ: receiverSs?.recvQ,
        receiverSendQ: receiverSs?.sendQ,
        receiverRcvSpace: receiverSs?.info.rcv_space,
        receiverRcvbuf: sink.events.find((e) => e.event === 'accepted')?.rcvbuf,
        senderSndbuf: blocked.sndbuf,
        windowUpdateBytes: update?.bytes,
        windowUpdateAfterLastProbeS:
          update && probes.length ? round3(update.p.t - probes[probes.length - 1].t) : undefined,
        dataSegmentsAfterUpdate: dataAfterUpdate,
        drained: drained.total,
      },
    };
  },
  claims: [
    {
      id: 'eagain',
      says: "The sender's non-blocking send() returns EAGAIN once its send buffer is full.",
      fact: 'sendErrno',
      expect: { equals: 'EAGAIN' },
    },
    {
      id: 'shrinks',
      says: "The receiver's advertised window shrinks step by step as unread data piles up.",
      fact: 'windowShrinkSteps',
      expect: { atLeast: 2 },
    },
    {
      id: 'zero',
      says: 'It reaches 0: the capture holds ACKs advertising window 0.',
      fact: 'minReceiverWindow',
      expect: { equals: 0 },
    },
    {
      id: 'probes',
      says: 'The sender then sends zero-window probes: empty segments with sequence number snd_una − 1.',
      fact: 'probeCount',
      expect: { atLeast: PROBES },
    },
    {
      id: 'probe-answers',
      says: 'Every answer to a probe still advertises window 0.',
      fact: 'answersAdvertiseZero',
      expect: { equals: true },
    },
    {
      id: 'answer-ratelimit',
      says: 'A probe that comes less than 500 ms after the previous answer gets none: the receiver rate-limits ACKs to out-of-window segments (tcp_invalid_ratelimit); all others are answered at once.',
      fact: 'answersFollowRateLimit',
      expect: { equals: true },
      kernelNote: 'net.ipv4.tcp_invalid_ratelimit, 500 ms by default since Linux 4.0',
    },
    {
      id: 'first-probe',
      says: 'The first probe follows the zero window after about one RTO (200 ms minimum on a fast link).',
      fact: 'firstProbeAfterS',
      expect: { between: [0.15, 1.0] },
    },
    {
      id: 'backoff',
      says: 'Each interval between probes is about twice the one before (exponential backoff in tcp_probe_timer()): the smallest ratio ...',
      fact: 'probeIntervalMinRatio',
      expect: { atLeast: 1.5 },
    },
    {
      id: 'backoff-max',
      says: '... and the largest.',
      fact: 'probeIntervalMaxRatio',
      expect: { atMost: 2.6 },
    },
    {
      id: 'right-edge',
      says: "The window's right edge (ack + window) never moves back: the window fills up, it is never withdrawn.",
      fact: 'rightEdgeNeverRecedes',
      expect: { equals: true },
    },
    {
      id: 'snd-wnd',
      says: "While stalled, the sender's snd_wnd (TCP_INFO) is 0 ...",
      fact: 'senderSndWnd',
      expect: { equals: 0 },
      kernelNote: 'tcpi_snd_wnd exists since Linux 5.4',
    },
    {
      id: 'cwnd',
      says: '... while its congestion window stays open, at least the initial 10 segments: the receive window, not the network, is the limit.',
      fact: 'senderCwnd',
      expect: { atLeast: 10 },
      kernelNote:
        'cwnd depends on the congestion control: the sender asks for cubic per socket (TCP_CONGESTION) and records the one that ran (senderCongestionControl)',
    },
    {
      id: 'send-q',
      says: "ss shows the unsent and unacknowledged bytes as the sender's Send-Q.",
      fact: 'senderSendQ',
      expect: { atLeast: 16384 },
    },
    {
      id: 'recv-q',
      says: "ss shows the unread bytes as the receiver's Recv-Q.",
      fact: 'receiverRecvQ',
      expect: { atLeast: 32768 },
    },
    {
      id: 'update',
      says: 'When the reader drains, the receiver sends a window update (window > 0) without waiting for a probe.',
      fact: 'windowUpdateBytes',
      expect: { atLeast: 1448 },
    },
    {
      id: 'complete',
      says: 'The transfer then completes: every byte arrives, nothing was lost.',
      fact: 'drained',
      expect: { equals: TOTAL },
    },
  ],
});
