import { defineLab } from '../_lib/define.ts';
import type { LabContext, LabEvent } from '../_lib/types.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5402;

const outcome = (events: LabEvent[], step: string) => {
  const e = events.find((x) => x.event === 'call' && x.step === step);
  return e ? (e.errno ?? `ret ${e.ret}`) : undefined;
};

export default defineLab({
  title: 'An unconnected UDP socket never hears of the ICMP',
  verifies:
    'Verify: an unconnected UDP socket sends with sendto() to a port nobody listens on; ICMP port unreachable comes back for every datagram, yet every sendto() succeeds and recv() finds nothing (EAGAIN); the same calls with IP_RECVERR set fail with ECONNREFUSED and queue the ICMP on the error queue.',
  takeaway:
    'An unconnected UDP socket never learns that its datagrams hit a closed port: every sendto() succeeds and recv() reports nothing, unless the socket sets IP_RECVERR.',
  probes: ['udp/udp.c'],
  run: async (ctx: LabContext) => {
    const { client, capture } = await clientServer(ctx);
    const plain = ctx.probe(client, 'udp/udp.c', ['icmp', SERVER, PORT, 'unconnected']);
    await plain.waitFor('done');
    const plainEnd = ctx.elapsed();
    const recverr = ctx.probe(client, 'udp/udp.c', ['icmp', SERVER, PORT + 1, 'recverr']);
    await recverr.waitFor('errqueue-done');
    const packets = await capture.stop();
    // The plain socket's packets all come before the IP_RECVERR socket's first datagram.
    const split = packets.find((p) => p.udp?.dstPort === PORT + 1)?.n ?? packets.length;
    const icmpFor = (plainPart: boolean) =>
      packets
        .filter((p) => p.icmp && p.ip.dst === CLIENT && p.n < split === plainPart)
        .map((p) => `${p.icmp!.type}/${p.icmp!.code}`);
    return {
      facts: {
        plainCalls: ['first', 'after-icmp', 'again'].map((s) => outcome(plain.events, s)),
        plainRecv: outcome(plain.events, 'recv'),
        plainIcmp: icmpFor(true),
        plainDoneAtS: plainEnd,
        recverrCalls: ['first', 'after-icmp', 'again', 'recv'].map((s) =>
          outcome(recverr.events, s),
        ),
        recverrAfterIcmp: outcome(recverr.events, 'after-icmp'),
        recverrIcmp: icmpFor(false),
        errorQueue: recverr.events
          .filter((e) => e.event === 'errqueue')
          .map((e) => `${e.errno} ${e.origin} ${e.type}/${e.code}`),
      },
    };
  },
  claims: [
    {
      id: 'icmp',
      says: "Each of the plain socket's three datagrams is answered by ICMP port unreachable (3/3).",
      fact: 'plainIcmp',
      expect: { equals: ['3/3', '3/3', '3/3'] },
    },
    {
      id: 'sends-succeed',
      says: 'All three sendto() calls succeed: the socket never learns of the ICMP.',
      fact: 'plainCalls',
      expect: { equals: ['ret 32', 'ret 32', 'ret 32'] },
    },
    {
      id: 'recv-nothing',
      says: 'recv() finds nothing: EAGAIN, not ECONNREFUSED.',
      fact: 'plainRecv',
      expect: { equals: 'EAGAIN' },
    },
    {
      id: 'recverr-send',
      says: 'With IP_RECVERR, the sendto() after the first ICMP fails with ECONNREFUSED.',
      fact: 'recverrAfterIcmp',
      expect: { equals: 'ECONNREFUSED' },
    },
    {
      id: 'recverr-queue',
      says: 'With IP_RECVERR, each ICMP also waits on the error queue: origin ICMP (2), type 3, code 3, ECONNREFUSED.',
      fact: 'errorQueue',
      expect: { equals: ['ECONNREFUSED 2 3/3', 'ECONNREFUSED 2 3/3'] },
    },
  ],
});
