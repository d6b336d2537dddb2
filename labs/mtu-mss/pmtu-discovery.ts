import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { tcp } from '../_lib/packets.ts';
import { NARROW_MTU, narrowPath } from '../_lib/topology.ts';
import { A, B, R1, routeGet } from './_scenario.ts';

const PORT = 5200;
const WRITE = 20000;

export default defineLab({
  title: 'Path MTU discovery shrinks the segments',
  verifies:
    'Verify: across a 1280-byte link between two routers, 1448-byte TCP segments with DF are dropped by the first router, which sends ICMP "fragmentation needed" with mtu 1280; the sender caches PMTU 1280 (ip route get), resends the data in 1228-byte segments and all 20000 bytes arrive.',
  takeaway:
    'The handshake cannot see a narrow link in the middle of the path; path MTU discovery finds it. A router drops the too-large DF segments and answers ICMP "fragmentation needed", and the sender caches the path MTU and at once resends the data in smaller segments, with nothing lost for the application.',
  probes: ['probes/stream.c'],
  run: async (ctx: LabContext) => {
    const { a, r1, b, aIf } = await narrowPath(ctx);
    // One segment per skb, so the capture shows segments, not GSO batches (see segments/).
    await a.run(['ip', 'link', 'set', 'dev', aIf, 'gso_max_segs', '1']);
    const capture = await ctx.capture(a);
    const reader = ctx.probe(b, 'probes/stream.c', ['recv', 'tcp', B, PORT, 65536, 'signal']);
    await reader.waitFor('listening');
    const writer = ctx.probe(a, 'probes/stream.c', ['send', 'tcp', B, PORT, WRITE]);
    await writer.waitFor('connected');
    const acked = await writer.waitFor('acked', 15_000);
    reader.signal('SIGUSR1');
    const drained = await reader.waitFor('drained');
    const received = await reader.waitFor('received');
    const route = await routeGet(a, B);
    const packets = await capture.stop();
    const routerCounters = await counters(r1);

    const segs = tcp(packets);
    const data = segs.filter((p) => p.ip.src === A && p.tcp.payloadLength > 0);
    const icmps = packets.filter((p) => p.icmp);
    const icmp = icmps[0];
    const lastBig = data.findLastIndex((p) => p.tcp.payloadLength === 1448);
    const after = data.slice(lastBig + 1);
    const firstResend =
      after.length > 1 ? [after[0].tcp.payloadLength, after[1].tcp.payloadLength] : undefined;
    return {
      facts: {
        synMss: segs.filter((p) => p.tcp.syn).map((p) => p.tcp.options.mss),
        firstPayload: data[0]?.tcp.payloadLength,
        dataDf: [...new Set(data.map((p) => p.ip.df))],
        icmpCount: icmps.length,
        icmpTypeCode: icmp?.icmp ? [icmp.icmp.type, icmp.icmp.code] : undefined,
        icmpMtu: icmp?.icmp?.mtu,
        icmpSrc: icmp?.ip.src,
        bigSegmentsSent: data.filter((p) => p.tcp.payloadLength > 1228).length,
        routerFragFails: routerCounters.IpFragFails,
        routerIcmpOutDestUnreachs: routerCounters.IcmpOutDestUnreachs,
        cachedRouteMtu: (route.metrics as Array<{ mtu?: number }> | undefined)?.find((m) => m.mtu)
          ?.mtu,
        cachedRouteExpires: route.expires,
        route,
        maxPayloadAfterBig: after.length
          ? Math.max(...after.map((p) => p.tcp.payloadLength))
          : undefined,
        payloadsAfterBig: after.map((p) => p.tcp.payloadLength),
        firstResend,
        firstResendRelSeqs: after.slice(0, 2).map((p) => p.tcp.relSeq),
        firstBigRelSeq: data[0]?.tcp.relSeq,
        resendDelayMs: icmp && after[0] ? Math.round((after[0].t - icmp.t) * 1e6) / 1e3 : undefined,
        retransmittedSegments: acked.totalRetrans,
        finalPmtu: acked.pmtu,
        finalSndMss: acked.sndMss,
        received: drained.total,
        receiverRcvMss: received.rcvMss,
      },
    };
  },
  claims: [
    {
      id: 'mss-both',
      says: 'Both ends sit on 1500-byte links, so both SYNs advertise MSS 1460: the handshake cannot know about the narrow link.',
      fact: 'synMss',
      expect: { equals: [1460, 1460] },
    },
    {
      id: 'first-flight',
      says: 'The first data segments carry 1448 bytes (1500-byte IP packets) with DF set.',
      fact: 'firstPayload',
      expect: { equals: 1448 },
    },
    {
      id: 'df',
      says: 'Every data segment has DF set: the default for TCP (IP_PMTUDISC_WANT) on a route whose MTU is not locked.',
      fact: 'dataDf',
      expect: { equals: [true] },
    },
    {
      id: 'icmp',
      says: 'The router answers with ICMP type 3 code 4, "fragmentation needed".',
      fact: 'icmpTypeCode',
      expect: { equals: [3, 4] },
    },
    {
      id: 'icmp-mtu',
      says: 'The ICMP message carries the next-hop MTU, 1280 (RFC 1191).',
      fact: 'icmpMtu',
      expect: { equals: NARROW_MTU },
    },
    {
      id: 'icmp-from-router',
      says: 'It comes from the router (198.51.100.254), not from the destination.',
      fact: 'icmpSrc',
      expect: { equals: R1 },
    },
    {
      id: 'router-drops',
      says: 'The router counts each refused packet in IpFragFails: one per 1448-byte segment sent, ten.',
      observe: (r) =>
        r.facts.routerFragFails === r.facts.bigSegmentsSent
          ? r.facts.routerFragFails
          : `${r.facts.routerFragFails} ≠ ${r.facts.bigSegmentsSent}`,
      expect: { equals: 10 },
    },
    {
      id: 'receiver-never-saw',
      says: 'The receiver never got a segment longer than 1228 bytes (TCP_INFO rcv_mss is the largest seen).',
      fact: 'receiverRcvMss',
      expect: { equals: 1228 },
    },
    {
      id: 'route-cache',
      says: '`ip route get` on the sender now shows the cached path MTU 1280 for the destination.',
      fact: 'cachedRouteMtu',
      expect: { equals: NARROW_MTU },
    },
    {
      id: 'route-expires',
      says: 'The cached value expires after 10 minutes (net.ipv4.route.mtu_expires, 600 s).',
      fact: 'cachedRouteExpires',
      expect: { between: [500, 600] },
      kernelNote:
        'net.ipv4.route.mtu_expires, 600 s by default; next-hop exceptions since Linux 3.6',
    },
    {
      id: 'first-flight-size',
      says: 'Before the sender reacts, the whole initial window leaves at 1448 bytes: exactly 10 segments (RFC 6928), one ICMP each.',
      fact: 'bigSegmentsSent',
      expect: { equals: 10 },
      kernelNote:
        'initial congestion window of 10 segments (TCP_INIT_CWND) since Linux 2.6.39, whatever the congestion control; no ACK can come back to open it further, since every segment is dropped',
    },
    {
      id: 'smaller-segments',
      says: 'After the last 1448-byte segment, no segment carries more than 1228 bytes: 1280 − 20 − 20 − 12 of timestamps.',
      fact: 'maxPayloadAfterBig',
      expect: { equals: 1228 },
    },
    {
      id: 'resplit',
      says: 'Each lost 1448-byte segment is resent as 1228 + 220 bytes: the same sequence range, cut to the new size.',
      fact: 'firstResend',
      expect: { equals: [1228, 220] },
    },
    {
      id: 'tcp-info',
      says: 'TCP_INFO agrees: pmtu 1280, snd_mss 1228.',
      observe: (r) => [r.facts.finalPmtu, r.facts.finalSndMss],
      expect: { equals: [NARROW_MTU, 1228] },
    },
    {
      id: 'delivered',
      says: 'Nothing is lost for the application: the receiver reads all 20000 bytes.',
      fact: 'received',
      expect: { equals: WRITE },
    },
    {
      id: 'quick',
      says: 'The first smaller segment follows the first ICMP within 200 ms: no retransmission timeout (≥ 200 ms) is waited for.',
      fact: 'resendDelayMs',
      expect: { atMost: 200 },
    },
  ],
});
