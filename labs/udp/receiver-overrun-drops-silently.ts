import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { udpSettled } from './_scenario.ts';

const PORT = 5403;
const COUNT = 200;
const SIZE = 200;
/** Asked for with SO_RCVBUF; the kernel doubles it for bookkeeping overhead (socket(7)). */
const RCVBUF = 4096;

export default defineLab({
  title: 'A fast UDP sender overruns a slow receiver, silently',
  verifies:
    'Verify: 200 send() calls of 200 bytes at a socket with SO_RCVBUF 4096 that is not reading all succeed and all 200 datagrams leave the sender; the receiving kernel queues only what fits, drops the rest and counts each drop in Udp RcvbufErrors and InErrors; the sender sees no error and no packet tells it.',
  takeaway:
    'UDP has no flow control: a fast sender overruns a slow receiver, whose kernel drops what does not fit the receive buffer and only counts it in UdpRcvbufErrors, while every send() succeeds.',
  probes: ['udp/udp.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const receiver = ctx.probe(server, 'udp/udp.c', ['count', SERVER, PORT, RCVBUF]);
    const bound = await receiver.waitFor('bound');
    const sender = ctx.probe(client, 'udp/udp.c', ['flood', SERVER, PORT, COUNT, SIZE]);
    const flooded = await sender.waitFor('flooded');
    // Every datagram has been queued or dropped by the receiving kernel before anyone reads.
    const before = await udpSettled(server, COUNT);
    receiver.signal('SIGUSR1');
    const counted = await receiver.waitFor('counted');
    const after = await counters(server);
    const packets = await capture.stop();
    const received = counted.datagrams as number;
    return {
      facts: {
        rcvbufAsked: RCVBUF,
        rcvbufGranted: bound.rcvbuf,
        sent: flooded.sent,
        sendFailures: flooded.failed,
        floodSeconds: flooded.seconds,
        datagramsOnWire: packets.filter((p) => p.udp && p.ip.src === CLIENT).length,
        packetsToSender: packets.filter((p) => p.ip.dst === CLIENT).length,
        received,
        rcvbufErrors: after.UdpRcvbufErrors,
        inErrors: after.UdpInErrors,
        inDatagramsBeforeReading: before.UdpInDatagrams,
        ipInDelivers: before.IpInDelivers,
        receivedPlusRcvbufErrors: received + after.UdpRcvbufErrors,
        inErrorsEqualsRcvbufErrors: after.UdpInErrors === after.UdpRcvbufErrors,
      },
    };
  },
  claims: [
    {
      id: 'sends-succeed',
      says: 'Every one of the 200 send() calls succeeds.',
      fact: 'sendFailures',
      expect: { equals: 0 },
    },
    {
      id: 'on-wire',
      says: 'All 200 datagrams leave the sender: the loss is not on its side.',
      fact: 'datagramsOnWire',
      expect: { equals: COUNT },
    },
    {
      id: 'received-few',
      says: 'The receiver reads only the few that fit its buffer.',
      fact: 'received',
      expect: { between: [1, 40] },
    },
    {
      id: 'drops-counted',
      says: 'Each of the rest is counted in Udp RcvbufErrors: received + RcvbufErrors = 200.',
      fact: 'receivedPlusRcvbufErrors',
      expect: { equals: COUNT },
    },
    {
      id: 'in-errors',
      says: 'The same drops appear in Udp InErrors, the counter `netstat -su` calls "packet receive errors".',
      fact: 'inErrorsEqualsRcvbufErrors',
      expect: { equals: true },
    },
    {
      id: 'sender-unaware',
      says: 'Nothing comes back to the sender: no ICMP, no datagram.',
      fact: 'packetsToSender',
      expect: { equals: 0 },
    },
  ],
});
