import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { NARROW_MTU, narrowPath } from '../_lib/topology.ts';
import { waitUntil } from '../_lib/wait.ts';
import { A, B } from './_scenario.ts';

const PORT = 5204;

export default defineLab({
  title: 'IP_PMTUDISC_DO and EMSGSIZE on UDP',
  verifies:
    'Verify: on a UDP socket with IP_PMTUDISC_DO over a 1500-byte link, send(1473) fails with EMSGSIZE and send(1472) leaves with DF; the router of the 1280-byte link answers ICMP fragmentation needed, IP_MTU drops to 1280 and SO_ERROR reports EMSGSIZE; send(1472) and send(1253) then fail with EMSGSIZE while send(1252) passes; with IP_PMTUDISC_DONT send(1472) leaves as two fragments without DF and arrives whole.',
  takeaway:
    'With IP_PMTUDISC_DO, a UDP send larger than the known path MTU fails at once with EMSGSIZE; a datagram that fits the first link but not a narrower one further on is lost, and the sender learns of it only later, from the path MTU the ICMP teaches and from SO_ERROR on a connected socket.',
  probes: ['mtu-mss/udp-pmtu.c', 'probes/stream.c'],
  run: async (ctx: LabContext) => {
    const { a, b } = await narrowPath(ctx);
    const capture = await ctx.capture(a);
    const reader = ctx.probe(b, 'probes/stream.c', ['recv', 'udp', B, PORT, 65536, 'now']);
    await reader.waitFor('listening');
    const prober = ctx.probe(a, 'mtu-mss/udp-pmtu.c', [B, PORT]);
    await prober.waitFor('done');
    const reads = () => reader.events.filter((e) => e.event === 'read');
    await waitUntil('two datagrams at the receiver', () => reads().length >= 2);
    const packets = await capture.stop();

    const sends = Object.fromEntries(
      prober.events.filter((e) => e.event === 'send').map((e) => [e.step, e.ret ?? e.errno]),
    );
    const out = packets.filter((p) => p.ip.src === A && p.ip.protocol === 17);
    const firstBig = out.find((p) => p.ip.length === 1500);
    const icmp = packets.find((p) => p.icmp?.type === 3 && p.icmp.code === 4);
    const fragments = out.filter((p) => p.ip.mf || p.ip.fragOffset);
    return {
      facts: {
        ipMtuBefore: prober.events.find((e) => e.event === 'mtu')?.ipMtu,
        sendTooBigForLink: sends['too-big-for-link'],
        sendFitsLink: sends['fits-link'],
        sendTooBigForPath: sends['too-big-for-path'],
        sendJustOverPath: sends['just-over-path'],
        sendFitsPath: sends['fits-path'],
        sendDontFragment: sends['dont-fragment-off'],
        maxIpLength: Math.max(...out.map((p) => p.ip.length)),
        firstDatagramDf: firstBig?.ip.df,
        icmpMtu: icmp?.icmp?.mtu,
        icmpSrc: icmp?.ip.src,
        ipMtuAfter: prober.events.find((e) => e.event === 'pmtu-changed')?.ipMtu,
        pmtuWaitMs: prober.events.find((e) => e.event === 'pmtu-changed')?.waitedMs,
        soError: prober.events.find((e) => e.event === 'so-error')?.errno,
        // [IP total length, DF, MF, offset in 8-byte units] per fragment.
        dontFragments: fragments.map((p) => [p.ip.length, p.ip.df, p.ip.mf, p.ip.fragOffset]),
        outgoingUdp: out.map((p) => [p.ip.length, p.ip.df, p.ip.mf, p.ip.fragOffset]),
        receivedLengths: reads().map((e) => e.ret),
      },
    };
  },
  claims: [
    {
      id: 'mtu-before',
      says: 'Before anything is sent, IP_MTU is the first link’s 1500.',
      fact: 'ipMtuBefore',
      expect: { equals: 1500 },
    },
    {
      id: 'too-big-for-link',
      says: 'send(1473) fails at once with EMSGSIZE: 1473 + 8 + 20 = 1501 bytes, one more than the 1500-byte link carries with DF.',
      fact: 'sendTooBigForLink',
      expect: { equals: 'EMSGSIZE' },
    },
    {
      id: 'nothing-left',
      says: 'That datagram never reached the wire: no packet longer than 1500 bytes in the capture.',
      fact: 'maxIpLength',
      expect: { atMost: 1500 },
    },
    {
      id: 'fits-link',
      says: 'send(1472) succeeds: 1472 + 8 + 20 = 1500 fits the first link.',
      fact: 'sendFitsLink',
      expect: { equals: 1472 },
    },
    {
      id: 'df',
      says: 'It leaves with DF set.',
      fact: 'firstDatagramDf',
      expect: { equals: true },
    },
    {
      id: 'icmp',
      says: 'The router refuses it with ICMP fragmentation needed, mtu 1280.',
      fact: 'icmpMtu',
      expect: { equals: NARROW_MTU },
    },
    {
      id: 'mtu-after',
      says: 'IP_MTU on the socket drops to 1280.',
      fact: 'ipMtuAfter',
      expect: { equals: NARROW_MTU },
    },
    {
      id: 'so-error',
      says: 'The ICMP error is queued on the connected socket: SO_ERROR returns EMSGSIZE.',
      fact: 'soError',
      expect: { equals: 'EMSGSIZE' },
    },
    {
      id: 'too-big-for-path',
      says: 'The same send(1472) now fails with EMSGSIZE before leaving the host.',
      fact: 'sendTooBigForPath',
      expect: { equals: 'EMSGSIZE' },
    },
    {
      id: 'just-over-path',
      says: 'send(1253), one byte over the learned path MTU (1253 + 28 = 1281), fails with EMSGSIZE too.',
      fact: 'sendJustOverPath',
      expect: { equals: 'EMSGSIZE' },
    },
    {
      id: 'fits-path',
      says: 'send(1252) succeeds: 1252 + 8 + 20 = 1280.',
      fact: 'sendFitsPath',
      expect: { equals: 1252 },
    },
    {
      id: 'dont-fragments',
      says: 'With IP_PMTUDISC_DONT, send(1472) succeeds and leaves as two fragments of 1276 and 244 bytes (offsets 0 and 157 × 8 = 1256), sized to the learned 1280, without DF.',
      fact: 'dontFragments',
      expect: {
        equals: [
          [1276, false, true, 0],
          [244, false, false, 157],
        ],
      },
    },
    {
      id: 'received',
      says: 'The receiver gets the 1252-byte datagram and the reassembled 1472-byte one, never the refused ones.',
      fact: 'receivedLengths',
      expect: { equals: [1252, 1472] },
    },
  ],
});
