import { defineLab } from '../_lib/define.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import type { LabContext, Packet } from '../_lib/types.ts';

const PORT = 5013;
const FIXED_SPORT = 40100;
const SAMPLES = 8;
const GAP_MS = 10;
/** secure_tcp_seq() adds ktime_get_real_ns() >> 6: one step every 64 ns. */
const TICKS_PER_S = 1e9 / 64;
const U32 = 2 ** 32;

/** a − b on the 32-bit sequence circle, as a signed number. */
const seqDiff = (a: number, b: number) => {
  const d = (((a - b) % U32) + U32) % U32;
  return d >= U32 / 2 ? d - U32 : d;
};

/**
 * For ISNs sampled at capture times t: how far each ISN is from where the first ISN plus the
 * clock alone (one step per 64 ns) would put it, in steps.
 */
function residuals(samples: Array<{ isn: number; t: number }>): number[] {
  const [first] = samples;
  return samples.map((s) => Math.round(seqDiff(s.isn, first.isn) - (s.t - first.t) * TICKS_PER_S));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export default defineLab({
  title: 'ISNs: a clock per 4-tuple, a keyed hash between them',
  verifies: `Verify: ${SAMPLES} connections from one source port to one server port (one 4-tuple, closed with RST so no TIME-WAIT is reused) get ${SAMPLES} different ISNs, which advance exactly with the clock: about 15.6 per microsecond, one step per 64 ns, on both ends. ${SAMPLES} connections from ${SAMPLES} different source ports, ${GAP_MS} ms apart, get ISNs scattered over the 32-bit space, millions away from where the clock alone would put them: the per-4-tuple offset is a keyed hash (RFC 6528, secure_tcp_seq()).`,
  takeaway:
    "Linux does not draw a fresh random ISN for every connection: on one four-tuple the ISN follows a clock, and a keyed hash of the four-tuple offsets it, so no one off the path can guess another connection's ISN.",
  probes: ['handshakes/isn.c', 'probes/tcp-server.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const listener = ctx.probe(server, 'probes/tcp-server.c', [SERVER, PORT, 64, 'accept']);
    await listener.waitFor('listening');
    const same = ctx.probe(client, 'handshakes/isn.c', [
      SERVER,
      PORT,
      FIXED_SPORT,
      SAMPLES,
      GAP_MS,
    ]);
    await same.waitFor('done', 10_000);
    const cross = ctx.probe(client, 'handshakes/isn.c', [SERVER, PORT, 0, SAMPLES, GAP_MS]);
    await cross.waitFor('done', 10_000);
    const packets = await capture.stop();

    const syns = (ports: number[], fromClient: boolean) =>
      ports.map((port) => {
        const p = packets.find(
          (q: Packet) =>
            q.tcp?.syn &&
            q.tcp.ack === !fromClient &&
            (fromClient ? q.ip.src === CLIENT && q.tcp.srcPort === port : q.tcp.dstPort === port),
        )!;
        return { isn: p.tcp!.seq, t: p.t };
      });
    // Same 4-tuple: the SYNs in capture order (the port filter cannot tell them apart).
    const sameSyns = packets
      .filter((p) => p.tcp?.syn && !p.tcp.ack && p.tcp.srcPort === FIXED_SPORT)
      .map((p) => ({ isn: p.tcp!.seq, t: p.t }));
    const sameSynAcks = packets
      .filter((p) => p.tcp?.syn && p.tcp.ack && p.tcp.dstPort === FIXED_SPORT)
      .map((p) => ({ isn: p.tcp!.seq, t: p.t }));
    const crossPorts = cross.events
      .filter((e) => e.event === 'sample')
      .map((e) => e.sport as number);
    const crossSyns = syns(crossPorts, true);

    const slope = (s: Array<{ isn: number; t: number }>) => {
      const last = s[s.length - 1];
      return Math.round((seqDiff(last.isn, s[0].isn) / ((last.t - s[0].t) * 1e6)) * 1000) / 1000;
    };
    const sameResiduals = residuals(sameSyns);
    const crossResiduals = residuals(crossSyns).slice(1);
    const crossSpanS = crossSyns[crossSyns.length - 1].t - crossSyns[0].t;
    return {
      facts: {
        sameTuple: `${CLIENT}:${FIXED_SPORT} → ${SERVER}:${PORT}`,
        sameTupleSamples: sameSyns.length,
        sameTupleDistinctIsns: new Set(sameSyns.map((s) => s.isn)).size,
        sameTupleIsns: sameSyns.map((s) => s.isn),
        clientTicksPerUs: slope(sameSyns),
        serverTicksPerUs: slope(sameSynAcks),
        sameTupleMaxResidualUs:
          Math.round((Math.max(...sameResiduals.map(Math.abs)) / (TICKS_PER_S / 1e6)) * 10) / 10,
        crossTupleSourcePorts: new Set(crossPorts).size,
        crossTupleDistinctIsns: new Set(crossSyns.map((s) => s.isn)).size,
        crossTupleIsns: crossSyns.map((s) => s.isn),
        crossTupleMedianDistance: median(crossResiduals.map(Math.abs)),
        clockOnlySpread: Math.round(crossSpanS * TICKS_PER_S),
      },
    };
  },
  claims: [
    {
      id: 'same-tuple-distinct',
      says: `One 4-tuple, ${SAMPLES} connections: ${SAMPLES} different ISNs.`,
      observe: (r) => [r.facts.sameTupleSamples, r.facts.sameTupleDistinctIsns],
      expect: { equals: [SAMPLES, SAMPLES] },
    },
    {
      id: 'clock',
      says: "On that 4-tuple the client's ISN advances with the clock: about 15.6 per microsecond (one step per 64 ns).",
      fact: 'clientTicksPerUs',
      expect: { between: [14.5, 16.7] },
    },
    {
      id: 'clock-server',
      says: "The server's ISNs for that 4-tuple advance the same way.",
      fact: 'serverTicksPerUs',
      expect: { between: [14.5, 16.7] },
    },
    {
      id: 'clock-only',
      says: 'Nothing else changes them: every ISN lies within a few microseconds worth of steps of where the first ISN plus the clock puts it (the bound allows 5 ms of scheduling delay).',
      fact: 'sameTupleMaxResidualUs',
      expect: { atMost: 5000 },
    },
    {
      id: 'cross-tuple-distinct',
      says: `${SAMPLES} source ports, ${SAMPLES} different ISNs.`,
      observe: (r) => [r.facts.crossTupleSourcePorts, r.facts.crossTupleDistinctIsns],
      expect: { equals: [SAMPLES, SAMPLES] },
    },
    {
      id: 'cross-tuple-hash',
      says: 'Across 4-tuples the ISNs are scattered: the median distance from where the clock alone would put them exceeds 2^24 (16.8 million), where 10 ms of clock move an ISN by only 156 250.',
      fact: 'crossTupleMedianDistance',
      expect: { atLeast: 2 ** 24 },
    },
  ],
});
