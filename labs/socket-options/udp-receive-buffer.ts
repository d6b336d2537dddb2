import { defineLab } from '../_lib/define.ts';
import type { Host, LabContext } from '../_lib/types.ts';
import { counters, parseSs } from '../_lib/observe.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';
import { release } from './_scenario.ts';

const COUNT = 20;
const SIZE = 1000;
const SMALL_PORT = 5201;
const DEFAULT_PORT = 5202;
/** Reads back as 8192: room for a handful of 1000-byte datagrams once skb overhead is counted. */
const SMALL_RCVBUF = 4096;

/**
 * Waits until the server's IP layer has handed `expected` datagrams to UDP (IpInDelivers): UDP
 * queues or drops each one in that same call, so after this the counters are final.
 */
async function delivered(server: Host, expected: number): Promise<Record<string, number>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const c = await counters(server);
    if (c.IpInDelivers >= expected) return c;
    if (Date.now() > deadline)
      throw new Error(`only ${c.IpInDelivers} of ${expected} datagrams delivered`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function burst(ctx: LabContext, client: Host, server: Host, port: number, rcvbuf: number) {
  const before = (await counters(server)).IpInDelivers;
  const receiver = ctx.probe(server, 'socket-options/udpburst.c', [
    'receiver',
    SERVER,
    port,
    rcvbuf,
  ]);
  const ready = await receiver.waitFor('ready');
  const sender = ctx.probe(client, 'socket-options/udpburst.c', [
    'sender',
    SERVER,
    port,
    COUNT,
    SIZE,
  ]);
  const sent = await sender.waitFor('sent');
  const after = await delivered(server, before + COUNT);
  // What the queued datagrams cost: ss shows a UDP socket's charged memory (truesize) as Recv-Q.
  const queued = parseSs(
    await server.run(['ss', '-H', '-u', '-a', '-n', 'sport', '=', `:${port}`]),
  )[0]?.recvQ;
  await release(receiver, 'ready');
  const drained = await receiver.waitFor('drained');
  // One more datagram, sent after the drops: it carries the socket's drop count (SO_RXQ_OVFL).
  const one = ctx.probe(client, 'socket-options/udpburst.c', ['sender', SERVER, port, 1, SIZE]);
  await one.waitFor('sent');
  const late = await receiver.waitFor('late');
  return {
    rcvbuf: Number(ready.rcvbuf),
    sent: Number(sent.count) - Number(sent.errors),
    received: Number(drained.datagrams),
    ovflDuringBurst: Number(drained.dropped),
    ovflAfterBurst: Number(late.dropped),
    queuedBytes: queued,
    counters: after,
  };
}

export default defineLab({
  title: 'UDP receive buffers overflow; the datagrams are gone',
  verifies:
    'Verify: 20 back-to-back 1000-byte datagrams into a socket with an 8 KiB receive buffer that is not being read lose most of them (UdpRcvbufErrors and SO_RXQ_OVFL count the losses, the sender sees no error); the same burst into a default 208 KiB buffer loses none.',
  takeaway:
    'A UDP socket whose receive buffer is full drops further datagrams silently: the sender sees no error, and only UdpRcvbufErrors and SO_RXQ_OVFL count the losses.',
  probes: ['socket-options/udpburst.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const c0 = await counters(server);
    const small = await burst(ctx, client, server, SMALL_PORT, SMALL_RCVBUF);
    const c1 = small.counters;
    const c1b = await counters(server);
    const big = await burst(ctx, client, server, DEFAULT_PORT, 0);
    const c2 = big.counters;
    const packets = await capture.stop();
    return {
      facts: {
        burst: `${COUNT} × ${SIZE} bytes`,
        smallRcvbuf: small.rcvbuf,
        smallSent: small.sent,
        smallReceived: small.received,
        smallQueuedBytes: small.queuedBytes,
        smallChargePerDatagram: small.received
          ? Math.round(Number(small.queuedBytes) / small.received)
          : undefined,
        smallOverflowDuringBurst: small.ovflDuringBurst,
        smallOverflowAfterBurst: small.ovflAfterBurst,
        smallRcvbufErrors: c1.UdpRcvbufErrors - c0.UdpRcvbufErrors,
        smallInErrors: c1.UdpInErrors - c0.UdpInErrors,
        defaultRcvbuf: big.rcvbuf,
        defaultSent: big.sent,
        defaultReceived: big.received,
        defaultChargePerDatagram: big.received
          ? Math.round(Number(big.queuedBytes) / big.received)
          : undefined,
        defaultRcvbufErrors: c2.UdpRcvbufErrors - c1b.UdpRcvbufErrors,
        defaultOverflowAfterBurst: big.ovflAfterBurst,
        udpPacketsCaptured: packets.filter((p) => p.udp).length,
      },
    };
  },
  claims: [
    {
      id: 'sender-ok',
      says: 'The sender sees no error for any datagram: UDP never tells it about the loss.',
      fact: 'smallSent',
      expect: { equals: COUNT },
    },
    {
      id: 'small-drops',
      says: 'The small buffer drops datagrams: RcvbufErrors rises.',
      fact: 'smallRcvbufErrors',
      expect: { atLeast: 1 },
    },
    {
      id: 'small-received',
      says: 'Only a few of the 20 datagrams fit into 8 KiB: each costs its payload plus skb overhead.',
      fact: 'smallReceived',
      expect: { between: [1, 10] },
      kernelNote:
        'the charge per datagram is skb->truesize, which depends on the driver and kernel',
    },
    {
      id: 'ovfl-late',
      says: 'SO_RXQ_OVFL reports the drops only on a datagram queued after them: the next datagram carries the same count as RcvbufErrors.',
      observe: (r) => r.facts.smallOverflowAfterBurst === r.facts.smallRcvbufErrors,
      expect: { equals: true },
    },
    {
      id: 'ovfl-early',
      says: 'The datagrams that fit were queued before any drop, so they carry a drop count of 0.',
      fact: 'smallOverflowDuringBurst',
      expect: { equals: 0 },
    },
    {
      id: 'all-accounted',
      says: 'Every datagram is either received or counted as dropped.',
      observe: (r) => Number(r.facts.smallReceived) + Number(r.facts.smallRcvbufErrors),
      expect: { equals: COUNT },
    },
    {
      id: 'default-none',
      says: 'With the default receive buffer the same burst loses nothing.',
      fact: 'defaultReceived',
      expect: { equals: COUNT },
    },
  ],
});
