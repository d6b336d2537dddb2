import { defineLab } from '../_lib/define.ts';
import { counters } from '../_lib/observe.ts';
import type { LabContext, Packet } from '../_lib/types.ts';
import { CLIENT as A, FAR_SERVER as B, routed } from '../_lib/topology.ts';
import { waitUntil } from '../_lib/wait.ts';

const PORT = 5302;
const SIZE = 1472;

/** [IP total length, DF, MF, offset in 8-byte units] */
const shape = (p: Packet) => [p.ip.length, p.ip.df, p.ip.mf, p.ip.fragOffset];

export default defineLab({
  title: 'Who fragments: the router, or the sender after PMTUD',
  verifies:
    'Verify: through a router whose link to b has MTU 1280, a 1472-byte UDP datagram without DF (IP_PMTUDISC_DONT) enters the router as one 1500-byte packet and leaves as fragments of 1276 and 244 bytes; with DF (the default IP_PMTUDISC_WANT) it is dropped with ICMP fragmentation needed (mtu 1280); the next default send is fragmented by the sender itself; b receives the first and third datagrams whole.',
  takeaway:
    'An IPv4 router fragments only datagrams without DF. Linux sets DF by default on a UDP datagram that fits the known path MTU, so the router drops it and answers ICMP "fragmentation needed", and from then on the sender fragments to the learned MTU itself.',
  probes: ['fragmentation/udp-send.c', 'probes/stream.c'],
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
    const reader = ctx.probe(b, 'probes/stream.c', ['recv', 'udp', B, PORT, 65536, 'now']);
    await reader.waitFor('listening');
    const sender = ctx.probe(a, 'fragmentation/udp-send.c', [
      B,
      PORT,
      `dont:${SIZE}`,
      `want:${SIZE}`,
      'wait-pmtu',
      `want:${SIZE}`,
    ]);
    await sender.waitFor('done');
    const reads = () => reader.events.filter((e) => e.event === 'read');
    await waitUntil('two datagrams at b', () => reads().length >= 2);
    const packets = await capture.stop();
    const routerCounters = await counters(router);
    const bCounters = await counters(b);

    // Split the router's capture by IP id: one id per send (the sender numbers its datagrams).
    const udpIds = [
      ...new Set(
        packets
          .filter((p) => p.ip.protocol === 17 && p.ip.src === A && p.dir === 'in')
          .map((p) => p.ip.id),
      ),
    ];
    const phase = (id: number | undefined) => {
      const of = packets.filter((p) => p.ip.protocol === 17 && p.ip.src === A && p.ip.id === id);
      return {
        id,
        in: of.filter((p) => p.dir === 'in').map(shape),
        out: of.filter((p) => p.dir === 'out').map(shape),
      };
    };
    const [dont, want, after] = udpIds.map(phase);
    const pmtu = sender.events.find((e) => e.event === 'pmtu');
    return {
      facts: {
        sends: sender.events
          .filter((e) => e.event === 'send')
          .map((e) => [e.mode, e.ret ?? e.errno]),
        dontIn: dont?.in,
        dontOut: dont?.out,
        wantIn: want?.in,
        wantOut: want?.out,
        afterIn: after?.in,
        afterOut: after?.out,
        ids: udpIds,
        icmpMtu: packets.find((p) => p.icmp?.type === 3 && p.dir === 'out')?.icmp?.mtu,
        pmtuIpMtu: pmtu?.ipMtu,
        pmtuSoError: pmtu?.soError,
        routerForwDatagrams: routerCounters.IpForwDatagrams,
        routerFragOKs: routerCounters.IpFragOKs,
        routerFragCreates: routerCounters.IpFragCreates,
        routerFragFails: routerCounters.IpFragFails,
        routerReasmReqds: routerCounters.IpReasmReqds,
        receiverReasmReqds: bCounters.IpReasmReqds,
        receiverReasmOKs: bCounters.IpReasmOKs,
        receivedLengths: reads().map((e) => e.ret),
      },
    };
  },
  claims: [
    {
      id: 'dont-in',
      says: 'Without DF, the datagram reaches the router as one 1500-byte packet.',
      fact: 'dontIn',
      expect: { equals: [[1500, false, false, 0]] },
    },
    {
      id: 'dont-out',
      says: 'The router forwards it as two fragments: 1276 bytes (MF, offset 0) and 244 bytes (offset 157 = byte 1256).',
      fact: 'dontOut',
      expect: {
        equals: [
          [1276, false, true, 0],
          [244, false, false, 157],
        ],
      },
    },
    {
      id: 'router-fragokay',
      says: 'The router counts it: FragOKs 1, FragCreates 2.',
      observe: (r) => [r.facts.routerFragOKs, r.facts.routerFragCreates],
      expect: { equals: [1, 2] },
    },
    {
      id: 'want-df',
      says: 'With the default IP_PMTUDISC_WANT, a datagram that fits the first link leaves with DF set.',
      fact: 'wantIn',
      expect: { equals: [[1500, true, false, 0]] },
    },
    {
      id: 'want-refused',
      says: 'The router refuses it with ICMP fragmentation needed, mtu 1280, and forwards nothing (FragFails 1).',
      observe: (r) => [
        r.facts.icmpMtu,
        (r.facts.wantOut as unknown[]).length,
        r.facts.routerFragFails,
      ],
      expect: { equals: [1280, 0, 1] },
    },
    {
      id: 'sender-learns',
      says: 'The sender’s socket learns IP_MTU 1280 and SO_ERROR reports EMSGSIZE for the lost datagram.',
      observe: (r) => [r.facts.pmtuIpMtu, r.facts.pmtuSoError],
      expect: { equals: [1280, 'EMSGSIZE'] },
    },
    {
      id: 'after-in',
      says: 'The next default send is cut by the sender itself: the router receives two fragments (1276, 244) without DF…',
      fact: 'afterIn',
      expect: {
        equals: [
          [1276, false, true, 0],
          [244, false, false, 157],
        ],
      },
    },
    {
      id: 'after-out',
      says: '…and forwards them unchanged: routers fragment, they never reassemble.',
      fact: 'afterOut',
      expect: {
        equals: [
          [1276, false, true, 0],
          [244, false, false, 157],
        ],
      },
    },
    {
      id: 'socket-counter',
      says: 'The three datagrams, with and without DF, carry consecutive ids: the connected socket numbers them from its own counter.',
      observe: (r) => {
        const ids = r.facts.ids as number[];
        return ids.slice(1).map((id, i) => (id - ids[i] + 65536) % 65536);
      },
      expect: { equals: [1, 1] },
    },
    {
      id: 'delivered',
      says: 'b receives two whole 1472-byte datagrams (the first and the third), reassembling both (ReasmOKs 2).',
      observe: (r) => [r.facts.receivedLengths, r.facts.receiverReasmOKs],
      expect: { equals: [[SIZE, SIZE], 2] },
    },
  ],
});
