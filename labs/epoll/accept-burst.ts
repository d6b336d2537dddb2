import { defineLab } from '../_lib/define.ts';
import { onPort } from '../_lib/packets.ts';
import type { LabContext, LabEvent } from '../_lib/types.ts';

const PORT = 5110;
const CLIENTS = 5;
const TIMEOUT_MS = 200;

export default defineLab({
  title: 'An accept burst: loop until EAGAIN, never on a blocking listener',
  verifies:
    'Verify: with five connections queued, one epoll_wait reports the listener once; a loop of accept() on an O_NONBLOCK listener returns five sockets then EAGAIN; on a blocking listener the sixth accept() blocks (here until SO_RCVTIMEO); with EPOLLET and one accept() per wakeup, four connections stay queued and the next epoll_wait times out.',
  takeaway:
    'One epoll wakeup can stand for many queued connections, so loop accept() on a non-blocking listener until EAGAIN. On a blocking listener the accept() after the last queued connection hangs, and edge-triggered code that accepts one connection per wakeup strands the rest.',
  probes: ['epoll/accept-burst.c', 'epoll/epoll-util.h'],
  run: async (ctx: LabContext) => {
    const host = await ctx.host('host');
    const capture = await ctx.capture(host, 'lo');
    const probe = ctx.probe(host, 'epoll/accept-burst.c', [PORT, CLIENTS, TIMEOUT_MS]);
    await probe.waitFor('done', 15_000);
    const packets = await capture.stop();
    await probe.stop();

    const burst = (mode: string): LabEvent | undefined =>
      probe.events.find((e) => e.event === 'burst' && e.mode === mode);
    const [nb, bl, et] = ['nonblocking', 'blocking', 'et-one'].map(burst);
    const ports = [PORT, PORT + 1, PORT + 2];
    const tcp = ports.flatMap((port) => onPort(packets, port));
    const wire = {
      syn: tcp.filter((p) => p.tcp.syn && !p.tcp.ack).length,
      synAck: tcp.filter((p) => p.tcp.syn && p.tcp.ack).length,
      rst: tcp.filter((p) => p.tcp.rst).length,
      serverFin: tcp.filter((p) => p.tcp.fin && ports.includes(p.tcp.srcPort)).length,
    };
    return {
      inherentWaitS: (3 * TIMEOUT_MS) / 1000,
      facts: {
        queued: [nb?.queued, bl?.queued, et?.queued],
        nonblockingWakeups: nb?.wakeups,
        nonblockingEvents: nb?.events,
        nonblockingAccepted: nb?.accepted,
        nonblockingEndErrno: nb?.endErrno,
        nonblockingLastAcceptMs: nb?.lastAcceptMs,
        nonblockingSecondWaitN: nb?.secondWaitN,
        blockingWakeups: bl?.wakeups,
        blockingAccepted: bl?.accepted,
        blockingEndErrno: bl?.endErrno,
        blockingLastAcceptMs: bl?.lastAcceptMs,
        etOneWakeups: et?.wakeups,
        etOneAccepted: et?.accepted,
        etOneLeftQueued: et?.leftQueued,
        etOneSecondWaitN: et?.secondWaitN,
        etOneSecondWaitMs: et?.secondWaitMs,
        wire,
      },
    };
  },
  claims: [
    {
      id: 'queued',
      says: 'All five handshakes completed before the server looked: the accept queue holds 5.',
      fact: 'queued',
      expect: { equals: [5, 5, 5] },
    },
    {
      id: 'one-wakeup',
      says: 'One epoll_wait returns one event for the listener, however many connections wait behind it.',
      fact: 'nonblockingWakeups',
      expect: { equals: 1 },
    },
    {
      id: 'one-wakeup-mask',
      says: 'The event is EPOLLIN on the listening socket.',
      fact: 'nonblockingEvents',
      expect: { equals: ['EPOLLIN'] },
    },
    {
      id: 'nonblocking-all',
      says: 'The accept() loop on a non-blocking listener takes all five connections.',
      fact: 'nonblockingAccepted',
      expect: { equals: 5 },
    },
    {
      id: 'nonblocking-eagain',
      says: 'The sixth accept() fails at once with EAGAIN (EWOULDBLOCK is the same number on Linux).',
      fact: 'nonblockingEndErrno',
      expect: { equals: 'EAGAIN' },
    },
    {
      id: 'nonblocking-fast',
      says: 'That failing accept() does not sleep: it returns within 5 ms… (ms).',
      fact: 'nonblockingLastAcceptMs',
      expect: { atMost: 5 },
      cost: true,
    },
    {
      id: 'blocking-all',
      says: 'The loop on a blocking listener also takes the five queued connections.',
      fact: 'blockingAccepted',
      expect: { equals: 5 },
    },
    {
      id: 'blocking-hangs',
      says: '…but the sixth accept() blocks: here for the whole 200 ms SO_RCVTIMEO (ms); without a timeout, until the next client arrives.',
      fact: 'blockingLastAcceptMs',
      expect: { between: [150, 1000] },
    },
    {
      id: 'blocking-timeout-errno',
      says: 'When the receive timeout expires, accept() fails with EAGAIN, exactly like a non-blocking one.',
      fact: 'blockingEndErrno',
      expect: { equals: 'EAGAIN' },
    },
    {
      id: 'et-one-accepts-one',
      says: 'Edge-triggered with one accept() per wakeup takes one connection…',
      fact: 'etOneAccepted',
      expect: { equals: 1 },
    },
    {
      id: 'et-one-stranded',
      says: '…and leaves four in the accept queue…',
      fact: 'etOneLeftQueued',
      expect: { equals: 4 },
    },
    {
      id: 'et-one-hangs',
      says: '…while the next epoll_wait reports nothing: it times out (0 events).',
      fact: 'etOneSecondWaitN',
      expect: { equals: 0 },
    },
    {
      id: 'handshakes',
      says: 'On the wire: fifteen SYNs, fifteen SYN-ACKs and no RST; the only FINs are the server closing the eleven sockets it accepted.',
      fact: 'wire',
      expect: { equals: { syn: 15, synAck: 15, rst: 0, serverFin: 11 } },
    },
  ],
});
