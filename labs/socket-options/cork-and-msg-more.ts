import { defineLab } from '../_lib/define.ts';
import type { LabContext, LabEvent } from '../_lib/types.ts';
import { onPort } from '../_lib/packets.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';
import { ms } from './_scenario.ts';

const PORT = 5101;
/** A second connection, over a route whose minimum RTO is raised: the cork phase only. */
const SLOW_RTO_PORT = 5109;
const SLOW_RTO_MIN_MS = 500;

/** When the server had read at least `total` bytes (lab seconds). */
function arrival(events: LabEvent[], total: number): number | undefined {
  return events.find((e) => e.host === 'server' && e.event === 'recv' && Number(e.total) >= total)
    ?.t;
}

export default defineLab({
  title: 'TCP_CORK and MSG_MORE: full segments now, the tail later',
  verifies:
    'Verify: with TCP_CORK on, ten 400-byte writes leave as two full segments at once and the 1104-byte tail waits one RTO (the zero-window probe timer, at least 200 ms: 500 ms on a route with rto_min 500ms) unless the cork is removed, which sends it at once; MSG_MORE on each call but the last gives one segment, and MSG_MORE with nothing after it waits like the cork.',
  takeaway:
    'TCP_CORK and MSG_MORE send full segments at once and hold a partial tail until the cork is removed, a send() without MSG_MORE follows, or about one retransmission timeout has passed.',
  probes: ['socket-options/cork.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const receiver = ctx.probe(server, 'socket-options/cork.c', ['server', SERVER, PORT]);
    await receiver.waitFor('listening');
    const sender = ctx.probe(client, 'socket-options/cork.c', ['client', SERVER, PORT]);
    await sender.waitFor('connected');
    await receiver.waitFor('eof', 15_000);
    await sender.exited;
    // The same cork phase again, to a server whose route has `rto_min 500ms`: if the ceiling is
    // the probe timer, max(RTO, 200 ms), the tail now waits one (longer) RTO.
    await client.run([
      'ip',
      'route',
      'add',
      `${SERVER}/32`,
      'dev',
      'veth-server',
      'rto_min',
      `${SLOW_RTO_MIN_MS}ms`,
    ]);
    const slowReceiver = ctx.probe(server, 'socket-options/cork.c', [
      'server',
      SERVER,
      SLOW_RTO_PORT,
    ]);
    await slowReceiver.waitFor('listening');
    const slowSender = ctx.probe(client, 'socket-options/cork.c', [
      'client',
      SERVER,
      SLOW_RTO_PORT,
      'cork-only',
    ]);
    await slowReceiver.waitFor('eof', 15_000);
    await slowSender.exited;
    const packets = await capture.stop();

    const data = onPort(packets, PORT).filter(
      (p) => p.tcp.dstPort === PORT && p.tcp.payloadLength > 0,
    );
    // relSeq 1 is the first byte; phases are byte ranges [start, end).
    const inRange = (start: number, end: number) =>
      data.filter((p) => p.tcp.relSeq >= start + 1 && p.tcp.relSeq < end + 1);
    const cork = inRange(0, 4000);
    const atOnce = cork.filter((p) => p.t - cork[0].t < 0.05);
    const tail = cork.at(-1);
    // The tail's timer starts when the last full segment is acknowledged (nothing left in flight).
    const emptied = onPort(packets, PORT).filter(
      (p) => p.tcp.srcPort === PORT && (p.tcp.relAck ?? 0) >= 2897 && tail && p.t <= tail.t,
    )[0];

    // The slow-RTO connection: the same 4000 corked bytes.
    const slowData = onPort(packets, SLOW_RTO_PORT).filter(
      (p) => p.tcp.dstPort === SLOW_RTO_PORT && p.tcp.payloadLength > 0,
    );
    const slowTail = slowData.at(-1);
    const slowEmptied = onPort(packets, SLOW_RTO_PORT).filter(
      (p) =>
        p.tcp.srcPort === SLOW_RTO_PORT &&
        (p.tcp.relAck ?? 0) >= 2897 &&
        slowTail &&
        p.t <= slowTail.t,
    )[0];
    // The RTO when the full segments were acknowledged and the tail stayed queued: when the
    // probe timer was armed.
    const rtoAtCork = (probe: typeof sender) =>
      (probe.events.find((e) => e.event === 'held')?.rtoUs as number) / 1000;

    const ev = ctx.events;
    const wrote = (phase: string) =>
      ev.find((e) => e.host === 'client' && e.event === 'wrote' && e.phase === phase)!.t;
    const uncorked = ev.find((e) => e.event === 'uncorked')!.t;
    return {
      events: ev,
      // Two ~200 ms probe-timer holds, one ~500 ms hold and the 50 ms the application keeps the cork.
      inherentWaitS: 0.95,
      facts: {
        corkSegments: cork.map((p) => p.tcp.payloadLength),
        corkBytesSentAtOnce: atOnce.reduce((n, p) => n + p.tcp.payloadLength, 0),
        corkTailSegment: tail && !atOnce.includes(tail) ? tail.tcp.payloadLength : 0,
        corkCeilingMs: tail && emptied ? ms(tail.t - emptied.t) : undefined,
        corkRtoMs: rtoAtCork(sender),
        slowRtoTailSegments: slowData.map((p) => p.tcp.payloadLength),
        slowRtoCeilingMs: slowTail && slowEmptied ? ms(slowTail.t - slowEmptied.t) : undefined,
        slowRtoRtoMs: rtoAtCork(slowSender),
        corkWriteToTailMs: ms(arrival(ev, 4000)! - wrote('cork')),
        uncorkSegments: inRange(4000, 4300).map((p) => p.tcp.payloadLength),
        uncorkHeldMs: ms(arrival(ev, 4300)! - wrote('uncork')),
        uncorkToArrivalMs: ms(arrival(ev, 4300)! - uncorked),
        msgMoreSegments: inRange(4300, 4700).map((p) => p.tcp.payloadLength),
        msgMoreToArrivalMs: ms(arrival(ev, 4700)! - wrote('more')),
        msgMoreOnlySegments: inRange(4700, 4800).map((p) => p.tcp.payloadLength),
        msgMoreOnlyHeldMs: ms(arrival(ev, 4800)! - wrote('more-only')),
      },
    };
  },
  claims: [
    {
      id: 'full-now',
      says: 'Under the cork, the bytes that fill whole segments (2 × 1448) leave at once.',
      fact: 'corkBytesSentAtOnce',
      expect: { equals: 2896 },
    },
    {
      id: 'tail-held',
      says: 'The partial tail (4000 − 2896 = 1104 bytes) leaves later, as one segment.',
      fact: 'corkTailSegment',
      expect: { equals: 1104 },
    },
    {
      id: 'ceiling',
      says: 'A corked partial segment leaves on its own after about 200 ms, measured on the wire from the ACK that emptied the pipe.',
      fact: 'corkCeilingMs',
      expect: { between: [200, 300] },
    },
    {
      id: 'ceiling-is-rto',
      says: 'That hold is one RTO (TCP_INFO tcpi_rto, at least TCP_RTO_MIN = 200 ms): the zero-window probe timer, not a cork timer. Hold minus RTO, in ms:',
      observe: (r) => Math.round(Number(r.facts.corkCeilingMs) - Number(r.facts.corkRtoMs)),
      expect: { between: [-5, 40] },
      kernelNote:
        'tcp_check_probe_timer() arms ICSK_TIME_PROBE0 with tcp_probe0_base() = max(icsk_rto, TCP_RTO_MIN) when nothing can be sent and nothing is in flight; timers fire on 4 ms ticks (HZ 250)',
    },
    {
      id: 'slow-rto',
      says: `On a route with rto_min ${SLOW_RTO_MIN_MS} ms the same tail waits its longer RTO, not 200 ms. Hold minus RTO, in ms:`,
      observe: (r) =>
        Number(r.facts.slowRtoRtoMs) >= SLOW_RTO_MIN_MS
          ? Math.round(Number(r.facts.slowRtoCeilingMs) - Number(r.facts.slowRtoRtoMs))
          : `RTO ${r.facts.slowRtoRtoMs} ms < ${SLOW_RTO_MIN_MS}`,
      expect: { between: [-5, 50] },
      kernelNote:
        "a route metric (ip route … rto_min) raises the RTO floor (tcp_rto_min()); a 500 ms timer falls in the timer wheel's second level, which rounds up by as much as 8 ticks (32 ms at HZ 250)",
    },
    {
      id: 'uncork-now',
      says: 'Removing the cork sends the held bytes at once, as one 300-byte segment.',
      fact: 'uncorkToArrivalMs',
      expect: { atMost: 30 },
    },
    {
      id: 'uncork-one',
      says: 'Three corked 100-byte writes leave as one segment at uncork.',
      fact: 'uncorkSegments',
      expect: { equals: [300] },
    },
    {
      id: 'more-one',
      says: 'Three send(MSG_MORE) calls and a final send() leave as one 400-byte segment.',
      fact: 'msgMoreSegments',
      expect: { equals: [400] },
    },
    {
      id: 'more-fast',
      says: 'That segment leaves as soon as the last send() without MSG_MORE.',
      fact: 'msgMoreToArrivalMs',
      expect: { atMost: 30 },
    },
    {
      id: 'more-only',
      says: 'A send(MSG_MORE) with nothing after it is held like a cork, about 200 ms.',
      fact: 'msgMoreOnlyHeldMs',
      expect: { between: [150, 300] },
    },
  ],
});
