import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { CLIENT as A, clientServer, SERVER as B } from '../_lib/topology.ts';

const PORT = 5301;
const SIZE = 4000;
const COMPLETE_ID = 4660; // 0x1234
const PARTIAL_ID = 4661;
const IPFRAG_TIME = 1;

export default defineLab({
  title: 'A datagram missing one fragment is never delivered',
  verifies:
    'Verify: a 4000-byte UDP datagram sent as three hand-made fragments from a raw socket is reassembled and read whole; the same datagram with its middle fragment left out is never delivered: after ipfrag_time (1 s) the receiver counts ReasmTimeout and ReasmFails, and sends ICMP time exceeded (fragment reassembly) to the source.',
  takeaway:
    'Losing one fragment loses the whole datagram: the receiver holds the other fragments until ipfrag_time, discards them and sends ICMP time exceeded to the source, and the application never sees any of it.',
  probes: ['fragmentation/fragsend.c', 'probes/stream.c'],
  run: async (ctx: LabContext) => {
    const {
      client: a,
      server: b,
      capture,
    } = await clientServer(ctx, {
      names: ['a', 'b'],
      server: { 'net.ipv4.ipfrag_time': String(IPFRAG_TIME) },
    });
    const reader = ctx.probe(b, 'probes/stream.c', ['recv', 'udp', B, PORT, 65536, 'now']);
    await reader.waitFor('listening');
    const complete = ctx.probe(a, 'fragmentation/fragsend.c', [A, B, PORT, COMPLETE_ID, SIZE, -1]);
    await complete.waitFor('done');
    await reader.waitFor('read');
    const partial = ctx.probe(a, 'fragmentation/fragsend.c', [A, B, PORT, PARTIAL_ID, SIZE, 1]);
    await partial.waitFor('done');
    // Wait on the receiver's own verdict: the reassembly timer firing.
    let reasm: Record<string, number> = {};
    for (
      const deadline = Date.now() + 10_000;
      (reasm.IpReasmTimeout ?? 0) < 1 && Date.now() < deadline;
    ) {
      reasm = await counters(b);
      if ((reasm.IpReasmTimeout ?? 0) < 1) await new Promise((r) => setTimeout(r, 100));
    }
    ctx.note(b, 'reasm-timeout', { IpReasmTimeout: reasm.IpReasmTimeout });
    const packets = await capture.stop();

    const sentOffsets = [complete, partial].map((p) =>
      p.events.filter((e) => e.event === 'fragment' && e.sent).map((e) => e.offsetUnits),
    );
    const partialFirst = packets.find((p) => p.ip.id === PARTIAL_ID && p.ip.fragOffset === 0);
    const icmp = packets.find((p) => p.icmp?.type === 11);
    const reads = reader.events.filter((e) => e.event === 'read');
    return {
      inherentWaitS: IPFRAG_TIME,
      facts: {
        sentOffsets,
        reads: reads.map((e) => e.copied),
        readCount: reads.length,
        // The receiver's /proc/net/snmp Ip counters (a fresh namespace starts them at 0).
        reasmReqds: reasm.IpReasmReqds,
        reasmOKs: reasm.IpReasmOKs,
        reasmFails: reasm.IpReasmFails,
        reasmTimeout: reasm.IpReasmTimeout,
        icmpTypeCode: icmp?.icmp ? [icmp.icmp.type, icmp.icmp.code] : undefined,
        icmpSrc: icmp?.ip.src,
        timeoutS:
          icmp && partialFirst ? Math.round((icmp.t - partialFirst.t) * 1000) / 1000 : undefined,
      },
    };
  },
  claims: [
    {
      id: 'crafted',
      says: 'The raw socket sent fragments at offsets 0, 185, 370 for the complete datagram and 0, 370 for the partial one.',
      fact: 'sentOffsets',
      expect: {
        equals: [
          [0, 185, 370],
          [0, 370],
        ],
      },
    },
    {
      id: 'complete-delivered',
      says: 'The complete datagram is reassembled and one recv() returns its 4000 bytes.',
      fact: 'reads',
      expect: { equals: [SIZE] },
    },
    {
      id: 'partial-not-delivered',
      says: 'The partial one is never delivered: no second recv() returns anything, not even the 2520 bytes that did arrive.',
      fact: 'readCount',
      expect: { equals: 1 },
    },
    {
      id: 'reasm-reqds',
      says: 'The receiver took in five fragments (ReasmReqds 5).',
      fact: 'reasmReqds',
      expect: { equals: 5 },
    },
    {
      id: 'reasm-oks',
      says: 'One datagram was reassembled (ReasmOKs 1).',
      fact: 'reasmOKs',
      expect: { equals: 1 },
    },
    {
      id: 'reasm-timeout',
      says: 'The partial datagram timed out (ReasmTimeout 1)…',
      fact: 'reasmTimeout',
      expect: { equals: 1 },
    },
    {
      id: 'reasm-fails',
      says: '…and counts as one failed reassembly (ReasmFails 1).',
      fact: 'reasmFails',
      expect: { equals: 1 },
    },
    {
      id: 'icmp',
      says: 'The receiver tells the source with ICMP type 11 code 1, "fragment reassembly time exceeded" (it holds the first fragment, so it can quote it).',
      fact: 'icmpTypeCode',
      expect: { equals: [11, 1] },
    },
    {
      id: 'timeout-s',
      says: 'The ICMP leaves about ipfrag_time (1 s) after the first fragment of the partial datagram.',
      fact: 'timeoutS',
      expect: { between: [0.9, 2.5] },
      kernelNote: 'ipfrag_time is pinned to 1 s here; the default is 30 s',
    },
  ],
});
