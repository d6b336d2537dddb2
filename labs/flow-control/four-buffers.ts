import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcp } from '../_lib/packets.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { ssInfo, windowsFrom } from './_scenario.ts';

const PORT = 5501;
/** SO_RCVBUF and SO_SNDBUF of both ends (doubled by the kernel). */
const BUF = 65536;

export default defineLab({
  title: 'Four buffers: both ends write, neither reads',
  verifies:
    'Verify: one TCP connection has a send and a receive buffer at each end; when both applications write and neither reads, all four fill: ss shows Send-Q and Recv-Q above zero on both sockets, both ends advertise window 0 and send zero-window probes, and both send() calls return EAGAIN: a deadlock that only a read can break.',
  takeaway:
    'A TCP connection has a send and a receive buffer at each end; when both programs write without reading, all four fill, both windows close, and both stay blocked until one of them reads.',
  probes: ['flow-control/bulk.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const s = ctx.probe(server, 'flow-control/bulk.c', ['both', SERVER, PORT, BUF, 'server']);
    await s.waitFor('listening');
    const c = ctx.probe(client, 'flow-control/bulk.c', ['both', SERVER, PORT, BUF, 'client']);
    const [cs, ss] = await Promise.all([
      c.waitFor('stalled', 20_000),
      s.waitFor('stalled', 20_000),
    ]);
    const [clientSs] = (await ssInfo(client)).filter((x) => x.peer.endsWith(`:${PORT}`));
    const [serverSs] = (await ssInfo(server)).filter((x) => x.local.endsWith(`:${PORT}`));
    const packets = await capture.stop();
    const zeroFrom = [CLIENT, SERVER].filter((h) =>
      windowsFrom(packets, h).some((w) => !w.p.tcp.syn && w.bytes === 0),
    );
    // A probe: an empty segment one below what the other side last acknowledged.
    const probesFrom = [CLIENT, SERVER].filter((h) => {
      let acked = -1;
      return tcp(packets).some((p) => {
        if (p.ip.src !== h && p.tcp.relAck !== undefined) acked = p.tcp.relAck;
        return (
          p.ip.src === h &&
          p.tcp.payloadLength === 0 &&
          !p.tcp.syn &&
          !p.tcp.fin &&
          p.tcp.relSeq === acked - 1
        );
      });
    });
    return {
      // Until each side's first probe timer expiry (about one RTO, 200 ms).
      inherentWaitS: 0.2,
      facts: {
        clientWritten: cs.written,
        serverWritten: ss.written,
        clientSs: clientSs && { recvQ: clientSs.recvQ, sendQ: clientSs.sendQ },
        serverSs: serverSs && { recvQ: serverSs.recvQ, sendQ: serverSs.sendQ },
        // Bytes in both of a socket's queues at once: the smaller of its Recv-Q and Send-Q.
        clientLesserQueue: clientSs && Math.min(clientSs.recvQ, clientSs.sendQ),
        serverLesserQueue: serverSs && Math.min(serverSs.recvQ, serverSs.sendQ),
        // What each side wrote, less its own Send-Q and the peer's Recv-Q: 0 when every byte
        // sits in one of the two buffers, none lost and none still on its way.
        clientUnaccounted:
          clientSs && serverSs
            ? (cs.written as number) - clientSs.sendQ - serverSs.recvQ
            : undefined,
        serverUnaccounted:
          clientSs && serverSs
            ? (ss.written as number) - serverSs.sendQ - clientSs.recvQ
            : undefined,
        zeroWindowFrom: zeroFrom,
        probesFrom,
        bothStalled:
          (cs.written as number) > (cs.sndbuf as number) &&
          (ss.written as number) > (ss.sndbuf as number),
        clientSndWnd: cs.sndWnd,
        serverSndWnd: ss.sndWnd,
      },
    };
  },
  claims: [
    {
      id: 'client-queues',
      says: 'The client socket holds unread bytes (Recv-Q) and unsent bytes (Send-Q) at once: the smaller of the two is well above zero.',
      fact: 'clientLesserQueue',
      expect: { atLeast: 16384 },
    },
    {
      id: 'server-queues',
      says: 'So does the server socket: four buffers, all holding data.',
      fact: 'serverLesserQueue',
      expect: { atLeast: 16384 },
    },
    {
      id: 'client-accounted',
      says: "Every byte the client wrote is either in its own Send-Q or in the server's Recv-Q: written − Send-Q − peer's Recv-Q is exactly 0.",
      fact: 'clientUnaccounted',
      expect: { equals: 0 },
    },
    {
      id: 'server-accounted',
      says: 'The same holds the other way round for the server.',
      fact: 'serverUnaccounted',
      expect: { equals: 0 },
    },
    {
      id: 'zero-both-ways',
      says: 'Both ends advertise window 0.',
      fact: 'zeroWindowFrom',
      expect: { equals: [CLIENT, SERVER] },
    },
    {
      id: 'probes-both-ways',
      says: 'Both ends send zero-window probes.',
      fact: 'probesFrom',
      expect: { equals: [CLIENT, SERVER] },
    },
    {
      id: 'stalled',
      says: 'Both send() calls stopped with EAGAIN, each after writing well over its own send buffer.',
      fact: 'bothStalled',
      expect: { equals: true },
    },
  ],
});
