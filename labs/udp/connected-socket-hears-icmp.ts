import { defineLab } from '../_lib/define.ts';
import type { LabContext, LabRun } from '../_lib/types.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5401;

export const callOutcome = (r: LabRun, step: string) => {
  const e = r.events.find((x) => x.event === 'call' && x.step === step);
  return e ? (e.errno ?? `ret ${e.ret}`) : undefined;
};

export default defineLab({
  title: 'A connected UDP socket hears ICMP port unreachable',
  verifies:
    'Verify: a connected UDP socket sends a datagram to a port nobody listens on; the ICMP port unreachable that comes back makes the next send() fail with ECONNREFUSED ("Connection refused"); the error is reported once, the send after it succeeds, and after the next ICMP recv() fails the same way.',
  takeaway:
    'A connected UDP socket hears ICMP port unreachable: its next send() or recv() fails with ECONNREFUSED, once, for a datagram sent earlier.',
  probes: ['udp/udp.c'],
  run: async (ctx: LabContext) => {
    const { client, capture } = await clientServer(ctx);
    const probe = ctx.probe(client, 'udp/udp.c', ['icmp', SERVER, PORT, 'connected']);
    await probe.waitFor('done');
    const packets = await capture.stop();
    const refused = probe.events.find((e) => e.event === 'call' && e.step === 'after-icmp');
    return {
      facts: {
        calls: probe.events
          .filter((e) => e.event === 'call')
          .map((e) => `${e.step}: ${e.call} → ${e.errno ?? e.ret}`),
        message: refused?.message,
        datagrams: packets.filter((p) => p.udp && p.ip.src === CLIENT).length,
        icmpTypeCodes: packets
          .filter((p) => p.icmp && p.ip.dst === CLIENT)
          .map((p) => `${p.icmp!.type}/${p.icmp!.code}`),
        icmpMs: probe.events.filter((e) => e.event === 'icmp').map((e) => e.waitedMs),
      },
    };
  },
  claims: [
    {
      id: 'first-send',
      says: 'The first send() succeeds: UDP has no handshake, nothing is known yet.',
      observe: (r) => callOutcome(r, 'first'),
      expect: { equals: 'ret 32' },
    },
    {
      id: 'icmp',
      says: 'The server answers each datagram with ICMP destination unreachable, code 3 (port unreachable).',
      fact: 'icmpTypeCodes',
      expect: { equals: ['3/3', '3/3'] },
    },
    {
      id: 'next-send',
      says: 'The next send() on the connected socket fails with ECONNREFUSED.',
      observe: (r) => callOutcome(r, 'after-icmp'),
      expect: { equals: 'ECONNREFUSED' },
    },
    {
      id: 'message',
      says: 'strerror() words it "Connection refused", the text a TCP client sees.',
      fact: 'message',
      expect: { equals: 'Connection refused' },
    },
    {
      id: 'once',
      says: 'Reporting clears the error: the send() after it succeeds and leaves as a datagram.',
      observe: (r) => callOutcome(r, 'again'),
      expect: { equals: 'ret 32' },
    },
    {
      id: 'recv',
      says: 'After the next ICMP, recv() fails with ECONNREFUSED as well.',
      observe: (r) => callOutcome(r, 'recv'),
      expect: { equals: 'ECONNREFUSED' },
    },
    {
      id: 'datagrams',
      says: 'Only two datagrams reach the wire: the failed send() sent nothing.',
      fact: 'datagrams',
      expect: { equals: 2 },
    },
  ],
});
