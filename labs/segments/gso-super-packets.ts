import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { parseSsInfo } from '../_lib/observe.ts';
import { tcp } from '../_lib/packets.ts';
import { RECEIVER, SENDER, streamScenario } from '../_lib/stream.ts';

/** Congestion control names as ss prints them among the internals line's bare words. */
const ALGORITHMS =
  /^(bbr\d?|cubic|reno|bic|dctcp|highspeed|htcp|hybla|illinois|lp|nv|scalable|vegas|veno|westwood|yeah|cdg)$/;

const PORT = 5101;
const WRITE = 10000;

export default defineLab({
  title: 'What the capture sees with segmentation offload',
  verifies:
    'Verify: with default GSO on a veth pair, the same 10000-byte write() is captured as fewer IP packets than segments, at least one longer than the 1500-byte MTU, each carrying a multiple of 1448 bytes except the last; the receiver still reports rcv_mss 1448 and reads all 10000 bytes.',
  takeaway:
    'With segmentation offload, a capture on the sending host shows TCP packets larger than the MTU: batches of MSS-sized segments that the NIC cuts after the capture point, or that nobody cuts on veth and loopback.',
  probes: ['probes/stream.c'],
  run: async (ctx: LabContext) => {
    const s = await streamScenario(ctx, {
      proto: 'tcp',
      port: PORT,
      writes: [WRITE],
      readBuffer: 65536,
    });
    const { sender } = s;
    const [link] = JSON.parse(
      await sender.run(['ip', '-d', '-j', 'link', 'show', 'dev', 'veth-receiver']),
    ) as Array<{ gso_max_size: number; gso_max_segs: number }>;
    // The batch size follows the pacing rate, which the congestion control sets: which one ran
    // (the namespace's default, inherited from the host; the lab does not choose it).
    const [sock] = parseSsInfo(
      await sender.run(['ss', '-H', '-t', '-i', '-n', 'dst', `${RECEIVER}:${PORT}`]),
    );
    const segs = tcp(s.packets);
    const data = segs.filter((p) => p.ip.src === SENDER && p.tcp.payloadLength > 0);
    return {
      facts: {
        congestionControl: sock?.flags.find((f) => ALGORITHMS.test(f)),
        gsoMaxSize: link.gso_max_size,
        gsoMaxSegs: link.gso_max_segs,
        sndMss: s.connected.sndMss,
        dataPackets: data.length,
        payloads: data.map((p) => p.tcp.payloadLength),
        // tcpdump's "length" for a TCP packet is its payload.
        firstPayload: data[0]?.tcp.payloadLength,
        ipLengths: data.map((p) => p.ip.length),
        maxIpLength: Math.max(...segs.map((p) => p.ip.length)),
        payloadTotal: data.reduce((sum, p) => sum + p.tcp.payloadLength, 0),
        receiverRcvMss: s.received?.rcvMss,
        reads: s.reads.map((e) => e.copied),
      },
    };
  },
  claims: [
    {
      id: 'gso-on',
      says: 'The veth allows GSO packets of up to 65536 bytes (gso_max_size, from ip -d link).',
      fact: 'gsoMaxSize',
      expect: { equals: 65536 },
    },
    {
      id: 'longer-than-mtu',
      says: 'The capture holds an IP packet longer than the 1500-byte MTU: the tap sits before segmentation.',
      fact: 'maxIpLength',
      expect: { atLeast: 1501 },
    },
    {
      id: 'fewer-packets',
      says: 'The 10000 bytes are captured in fewer data packets than the 7 segments TCP will make of them.',
      fact: 'dataPackets',
      expect: { atMost: 6 },
      kernelNote:
        'the batch size comes from tcp_tso_autosize() (pacing rate, gso_max_size), so it depends on the congestion control that ran (congestionControl, the namespace default); devices with BIG TCP (5.19+/6.3+) may batch more than 64 KiB',
    },
    {
      id: 'same-bytes',
      says: 'The captured payloads still add up to the 10000 bytes written.',
      fact: 'payloadTotal',
      expect: { equals: WRITE },
    },
    {
      id: 'whole-segments',
      says: 'Each captured packet but the last carries a whole number of 1448-byte segments (remainders listed).',
      observe: (r) => [
        ...new Set((r.facts.payloads as number[]).slice(0, -1).map((n) => n % 1448)),
      ],
      expect: { oneOf: [[0], []] },
    },
    {
      id: 'snd-mss',
      says: 'The sender still plans its segments at 1448 bytes (TCP_INFO snd_mss): the super-packet is a batch of them.',
      fact: 'sndMss',
      expect: { equals: 1448 },
    },
    {
      id: 'rcv-mss',
      says: 'The receiver infers a 1448-byte MSS from what arrived (TCP_INFO rcv_mss), not the super-packet size.',
      fact: 'receiverRcvMss',
      expect: { equals: 1448 },
    },
    {
      id: 'one-read',
      says: 'One read() returns all 10000 bytes.',
      fact: 'reads',
      expect: { equals: [WRITE] },
    },
  ],
});
