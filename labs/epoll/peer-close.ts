import { defineLab } from '../_lib/define.ts';
import { onPort } from '../_lib/packets.ts';
import type { LabContext, LabEvent } from '../_lib/types.ts';

const PORT = 5120;
const TIMEOUT_MS = 200;

export default defineLab({
  title: 'Data or peer close? What EPOLLIN, EPOLLRDHUP, recv() and TCP_INFO say',
  verifies:
    'Verify: on a socket registered for EPOLLIN | EPOLLRDHUP, data alone gives EPOLLIN, a FIN gives EPOLLIN | EPOLLRDHUP and state CLOSE-WAIT whether or not data is still unread, recv() returns the data and then 0, and an RST adds EPOLLERR | EPOLLHUP with recv() failing ECONNRESET. Registered for EPOLLOUT as well, the socket is reported writable in every case, the reset one included.',
  takeaway:
    'EPOLLIN with EPOLLRDHUP means the peer sent a FIN, yet data may still be unread: recv() returns it first, then 0. A RST shows as EPOLLERR and EPOLLHUP, makes recv() fail with ECONNRESET, and the reset socket is reported writable too.',
  probes: ['epoll/peer-close.c', 'epoll/epoll-util.h'],
  run: async (ctx: LabContext) => {
    const host = await ctx.host('host');
    const capture = await ctx.capture(host, 'lo');
    const probe = ctx.probe(host, 'epoll/peer-close.c', [PORT, TIMEOUT_MS]);
    await probe.waitFor('done', 15_000);
    await probe.exited;
    const packets = await capture.stop();

    const c = (name: string): LabEvent | undefined =>
      probe.events.find((e) => e.event === 'case' && e.scenario === name);
    const cost = probe.events.find((e) => e.event === 'cost');
    const facts: Record<string, unknown> = {};
    for (const [name, key] of [
      ['data', 'data'],
      ['fin', 'fin'],
      ['data-then-fin', 'dataThenFin'],
      ['rst', 'rst'],
    ] as const) {
      const e = c(name);
      facts[`${key}Events`] = e?.events;
      facts[`${key}EventsWithOut`] = e?.eventsWithOut;
      facts[`${key}State`] = e?.state;
      facts[`${key}Pending`] = e?.pendingBytes;
      facts[`${key}Recvs`] = e?.recvs;
    }
    facts.finHalfCloseSendBack = c('fin')?.halfCloseSendBack;
    facts.tcpInfoNsPerCall = cost?.tcpInfoNs;
    facts.recvEagainNsPerCall = cost?.recvEagainNs;
    // Segments the peer (the connecting side, ephemeral port) sent that carry data, FIN or RST,
    // before the probe's own teardown of each connection.
    facts.peerSegments = onPort(packets, PORT)
      .filter((p) => p.tcp.dstPort === PORT && (p.tcp.payloadLength > 0 || p.tcp.fin || p.tcp.rst))
      .map((p) =>
        p.tcp.payloadLength > 0 ? `${p.tcp.flags} ${p.tcp.payloadLength}` : p.tcp.flags,
      );
    return { facts };
  },
  claims: [
    {
      id: 'data-mask',
      says: 'Data alone: EPOLLIN, nothing else.',
      fact: 'dataEvents',
      expect: { equals: ['EPOLLIN'] },
    },
    {
      id: 'fin-mask',
      says: 'A FIN alone: EPOLLIN as well, plus EPOLLRDHUP.',
      fact: 'finEvents',
      expect: { equals: ['EPOLLIN', 'EPOLLRDHUP'] },
    },
    {
      id: 'data-fin-mask',
      says: 'Data followed by a FIN: the same EPOLLIN | EPOLLRDHUP as a FIN alone, so the mask cannot say whether data is waiting.',
      fact: 'dataThenFinEvents',
      expect: { equals: ['EPOLLIN', 'EPOLLRDHUP'] },
    },
    {
      id: 'data-recv',
      says: 'Data alone: recv() returns the 5 bytes, then EAGAIN.',
      fact: 'dataRecvs',
      expect: { equals: [5, 'EAGAIN'] },
    },
    {
      id: 'fin-recv',
      says: 'A FIN alone: the first recv() returns 0.',
      fact: 'finRecvs',
      expect: { equals: [0] },
    },
    {
      id: 'data-fin-recv',
      says: 'Data then FIN: recv() returns the 5 bytes first, then 0.',
      fact: 'dataThenFinRecvs',
      expect: { equals: [5, 0] },
    },
    {
      id: 'state-data',
      says: 'TCP_INFO with data alone: ESTAB.',
      fact: 'dataState',
      expect: { equals: 'ESTAB' },
    },
    {
      id: 'state-fin',
      says: 'TCP_INFO after a FIN: CLOSE-WAIT…',
      fact: 'finState',
      expect: { equals: 'CLOSE-WAIT' },
    },
    {
      id: 'state-data-fin',
      says: '…and also CLOSE-WAIT while 5 bytes are still unread: closing on that state throws data away.',
      observe: (r) => [r.facts.dataThenFinState, r.facts.dataThenFinPending],
      expect: { equals: ['CLOSE-WAIT', 5] },
    },
    {
      id: 'half-close',
      says: "After the peer's FIN we can still send: the peer reads our 3 bytes (a FIN closes one direction only).",
      fact: 'finHalfCloseSendBack',
      expect: { equals: 3 },
    },
    {
      id: 'rst-mask',
      says: 'An RST: EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP.',
      fact: 'rstEvents',
      expect: { equals: ['EPOLLIN', 'EPOLLERR', 'EPOLLHUP', 'EPOLLRDHUP'] },
    },
    {
      id: 'out-data',
      says: 'Registered for EPOLLOUT too, an idle connection with data to read is also writable: EPOLLIN | EPOLLOUT.',
      fact: 'dataEventsWithOut',
      expect: { equals: ['EPOLLIN', 'EPOLLOUT'] },
    },
    {
      id: 'out-rst',
      says: 'After an RST, EPOLLOUT comes too, next to EPOLLIN, EPOLLERR, EPOLLHUP and EPOLLRDHUP: tcp_poll() reports a socket whose sending side is shut down as writable, so that a write fails at once instead of waiting.',
      fact: 'rstEventsWithOut',
      expect: { equals: ['EPOLLIN', 'EPOLLOUT', 'EPOLLERR', 'EPOLLHUP', 'EPOLLRDHUP'] },
    },
    {
      id: 'rst-recv',
      says: 'After an RST, recv() fails with ECONNRESET (the pending error), not 0.',
      fact: 'rstRecvs',
      expect: { equals: ['ECONNRESET'] },
    },
    {
      id: 'rst-state',
      says: 'TCP_INFO after the RST: TCP_CLOSE (which ss prints as UNCONN).',
      fact: 'rstState',
      expect: { equals: 'UNCONN' },
    },
    {
      id: 'wire',
      says: 'On the wire, from the peer: 5 bytes (then its FIN at teardown); a FIN; 5 bytes and a FIN; an RST; and the FIN closing the timing connection.',
      fact: 'peerSegments',
      expect: { equals: ['P. 5', 'F.', 'F.', 'P. 5', 'F.', 'R.', 'F.'] },
    },
  ],
});
