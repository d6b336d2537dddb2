import { defineLab } from '../_lib/define.ts';
import { counters } from '../_lib/observe.ts';
import { tcp } from '../_lib/packets.ts';
import type { LabContext, Packet } from '../_lib/types.ts';
import { CLIENT as A, FAR_SERVER as B, ROUTER_CLIENT_SIDE, routed } from '../_lib/topology.ts';

const PORT = 5305;
const SIZE = 6000;

/** [IP total length, DF, MF, offset in 8-byte units] */
const shape = (p: Packet) => [p.ip.length, p.ip.df, p.ip.mf, p.ip.fragOffset];

export default defineLab({
  title: 'A locked route MTU lets a router fragment TCP',
  verifies:
    "Verify: with `mtu lock 1500` on the sender's route, Linux TCP sends its segments without DF; a router whose next link has MTU 1280 then fragments each 1500-byte segment into 1276 + 244 bytes with one IP id, sends no ICMP, and the receiver reassembles them and reads all 6000 bytes.",
  takeaway:
    "TCP can be fragmented: with the route's MTU locked, Linux sends TCP segments without DF, a router cuts them to fit a narrower link without any ICMP, and path MTU discovery never starts.",
  probes: ['probes/stream.c'],
  run: async (ctx: LabContext) => {
    const {
      client: a,
      router,
      server: b,
      capture,
    } = await routed(ctx, {
      names: ['a', 'router', 'b'],
      serverLinkMtu: 1280,
      captureOn: 'router',
    });
    // The route's MTU is locked: ip_dont_fragment() is false for IP_PMTUDISC_WANT on such a route.
    await a.run([
      'ip',
      'route',
      'replace',
      'default',
      'via',
      ROUTER_CLIENT_SIDE,
      'mtu',
      'lock',
      '1500',
    ]);
    // One segment per skb, so the router receives wire-sized segments, not GSO batches.
    await a.run(['ip', 'link', 'set', 'dev', 'veth-router', 'gso_max_segs', '1']);
    // b's own end of the narrow link back at 1500, so its SYN-ACK says MSS 1460 like a's SYN
    // does: only the router's side of that link is narrow.
    await b.run(['ip', 'link', 'set', 'dev', 'veth-router', 'mtu', '1500']);
    // `ip -j` leaves the lock out of the metrics; the text form says `mtu lock 1500`.
    const routeGet = (await a.run(['ip', 'route', 'get', B])).trim().replace(/\s+/g, ' ');
    const reader = ctx.probe(b, 'probes/stream.c', ['recv', 'tcp', B, PORT, 65536, 'signal']);
    await reader.waitFor('listening');
    const writer = ctx.probe(a, 'probes/stream.c', ['send', 'tcp', B, PORT, SIZE]);
    await writer.waitFor('connected');
    await writer.waitFor('acked', 15_000);
    reader.signal('SIGUSR1');
    const drained = await reader.waitFor('drained');
    const packets = await capture.stop();
    const routerCounters = await counters(router);
    const bCounters = await counters(b);

    const fromA = tcp(packets).filter((p) => p.ip.src === A && p.ip.dst === B);
    const dataIn = fromA.filter((p) => p.dir === 'in' && p.tcp.payloadLength > 0);
    const synIn = fromA.find((p) => p.dir === 'in' && p.tcp.syn);
    // Out of the router: every IPv4 packet from a to b, fragments included (only the first has a TCP header).
    const out = packets.filter(
      (p) => p.dir === 'out' && p.ip.src === A && p.ip.dst === B && p.ip.protocol === 6,
    );
    const fragmentsOf = (id: number | undefined) =>
      out.filter((p) => p.ip.id === id && (p.ip.mf || p.ip.fragOffset)).map(shape);
    const perSegment = dataIn.map((p) => ({ in: shape(p), out: fragmentsOf(p.ip.id) }));
    const fragmented = perSegment.filter((s) => s.out.length > 0);
    const fromB = tcp(packets).filter((p) => p.ip.src === B && p.dir === 'in');
    return {
      facts: {
        routeGet,
        lockedRouteMtu: Number(/\bmtu lock (\d+)/.exec(routeGet)?.[1]) || undefined,
        synDf: synIn?.ip.df,
        dataDf: [...new Set(dataIn.map((p) => p.ip.df))],
        dataInShapes: dataIn.map(shape),
        fragmentedSegments: fragmented.length,
        firstSegment: perSegment[0],
        fragmentShapes: [
          ...new Map(fragmented.map((s) => [JSON.stringify(s.out), s.out])).values(),
        ],
        icmpFromRouter: packets.filter((p) => p.icmp && p.dir === 'out').length,
        routerFragOKs: routerCounters.IpFragOKs,
        routerFragCreates: routerCounters.IpFragCreates,
        receiverReasmOKs: bCounters.IpReasmOKs,
        receiverDf: [...new Set(fromB.map((p) => p.ip.df))],
        received: drained.total,
      },
    };
  },
  claims: [
    {
      id: 'locked',
      says: '`ip route get` on the sender shows the route MTU as locked: `mtu lock 1500`.',
      fact: 'lockedRouteMtu',
      expect: { equals: 1500 },
    },
    {
      id: 'no-df',
      says: 'The SYN and every data segment leave without DF.',
      observe: (r) => [r.facts.synDf, r.facts.dataDf],
      expect: { equals: [false, [false]] },
    },
    {
      id: 'router-fragments',
      says: 'The router forwards each 1500-byte segment as two fragments, 1276 bytes (MF, offset 0, the TCP header inside) and 244 bytes (offset 157 = byte 1256), both with the segment’s IP id.',
      fact: 'fragmentShapes',
      expect: {
        equals: [
          [
            [1276, false, true, 0],
            [244, false, false, 157],
          ],
        ],
      },
    },
    {
      id: 'all-full-segments',
      says: 'All four full segments of the 6000 bytes (4 × 1448 + 208) are fragmented, one fragmentation each on the router (FragOKs 4, FragCreates 8).',
      observe: (r) => [
        r.facts.fragmentedSegments,
        r.facts.routerFragOKs,
        r.facts.routerFragCreates,
      ],
      expect: { equals: [4, 4, 8] },
    },
    {
      id: 'no-icmp',
      says: 'The router sends no ICMP "fragmentation needed": without DF there is nothing to refuse, and path MTU discovery never starts.',
      fact: 'icmpFromRouter',
      expect: { equals: 0 },
    },
    {
      id: 'reassembled',
      says: 'The receiver reassembles them in its IP layer (ReasmOKs 4) and reads all 6000 bytes.',
      observe: (r) => [r.facts.receiverReasmOKs, r.facts.received],
      expect: { equals: [4, SIZE] },
    },
    {
      id: 'peer-df',
      says: 'The receiver’s own segments still carry DF: its route is not locked.',
      fact: 'receiverDf',
      expect: { equals: [true] },
    },
  ],
});
