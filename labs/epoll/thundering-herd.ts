import { defineLab } from '../_lib/define.ts';
import { onPort } from '../_lib/packets.ts';
import type { LabContext, LabEvent } from '../_lib/types.ts';

const PORT = 5140;
const WORKERS = 4;
const CONNS = 8;

const mean = (xs: unknown) => {
  const a = Array.isArray(xs) ? (xs as number[]) : [];
  return a.length ? Math.round((a.reduce((s, x) => s + x, 0) / a.length) * 100) / 100 : undefined;
};

export default defineLab({
  title: 'Thundering herd: who wakes up for one connection',
  verifies:
    'Verify: four processes wait on one port and eight clients connect one at a time; per connection, blocking accept() wakes one process, four epoll instances on the shared listener wake all four (three find nothing), EPOLLEXCLUSIVE wakes one, and SO_REUSEPORT wakes the one process whose listener the connection hashed to.',
  takeaway:
    'For each new connection, a blocking accept() in several processes wakes one of them, while separate epoll instances on one shared listener wake them all; EPOLLEXCLUSIVE, or one SO_REUSEPORT listener per process, wakes just one.',
  probes: ['epoll/herd.c', 'epoll/epoll-util.h'],
  run: async (ctx: LabContext) => {
    const host = await ctx.host('host');
    const capture = await ctx.capture(host, 'lo');
    const probe = ctx.probe(host, 'epoll/herd.c', [PORT, WORKERS, CONNS]);
    await probe.waitFor('done', 30_000);
    await probe.exited;
    const packets = await capture.stop();

    const v = (name: string): LabEvent =>
      probe.events.find((e) => e.event === 'herd' && e.variant === name) ?? ({} as LabEvent);
    const [acc, ep, ex, rp] = ['accept', 'epoll', 'epoll-exclusive', 'reuseport'].map(v);
    const sum = (xs: unknown) =>
      Array.isArray(xs) ? (xs as number[]).reduce((s, x) => s + x, 0) : undefined;
    const tcp = [0, 1, 2, 3].flatMap((i) => onPort(packets, PORT + i));
    return {
      facts: {
        workers: WORKERS,
        connections: CONNS,
        acceptWokenPerConn: mean(acc.perConn),
        epollWokenPerConn: mean(ep.perConn),
        exclusiveWokenPerConn: mean(ex.perConn),
        reuseportWokenPerConn: mean(rp.perConn),
        acceptWoken: acc.perConn,
        epollWoken: ep.perConn,
        exclusiveWoken: ex.perConn,
        reuseportWoken: rp.perConn,
        epollReturnsPerConn: typeof ep.returns === 'number' ? ep.returns / CONNS : undefined,
        epollEagainPerConn: typeof ep.eagain === 'number' ? ep.eagain / CONNS : undefined,
        epollWokenInKernelOnlyPerConn:
          typeof ep.returns === 'number' ? (mean(ep.perConn) ?? 0) - ep.returns / CONNS : undefined,
        exclusiveReturnsPerConn: typeof ex.returns === 'number' ? ex.returns / CONNS : undefined,
        exclusiveEagainPerConn: typeof ex.eagain === 'number' ? ex.eagain / CONNS : undefined,
        reuseportAcceptedBy: rp.acceptedBy,
        reuseportProcessesUsed: Array.isArray(rp.acceptedBy)
          ? (rp.acceptedBy as number[]).filter((n) => n > 0).length
          : undefined,
        acceptedTotals: [acc, ep, ex, rp].map((e) => sum(e.acceptedBy)),
        wire: {
          syn: tcp.filter((p) => p.tcp.syn && !p.tcp.ack).length,
          synAck: tcp.filter((p) => p.tcp.syn && p.tcp.ack).length,
          rst: tcp.filter((p) => p.tcp.rst).length,
        },
      },
    };
  },
  claims: [
    {
      id: 'accept-one',
      says: 'Blocking accept() in four processes: one process woken per connection (mean).',
      fact: 'acceptWokenPerConn',
      expect: { between: [1, 1.25] },
    },
    {
      id: 'epoll-all',
      says: 'Four epoll instances watching the shared listener: all four processes woken per connection (mean).',
      fact: 'epollWokenPerConn',
      expect: { between: [3.75, 4.25] },
    },
    {
      id: 'epoll-returns',
      says: "Yet epoll_wait() returned to user space less often than that (it varies by run): a process woken after the winner's accept() re-checks the listener inside epoll_wait, finds it empty and sleeps again, so strace shows less herd than the scheduler sees.",
      fact: 'epollReturnsPerConn',
      expect: { between: [1, 3.5] },
    },
    {
      id: 'exclusive-one',
      says: 'With EPOLLEXCLUSIVE: one process woken per connection (mean; epoll_ctl(2) promises "one or more").',
      fact: 'exclusiveWokenPerConn',
      expect: { between: [1, 1.5] },
      kernelNote: 'EPOLLEXCLUSIVE exists since Linux 4.5; older kernels reject it with EINVAL',
    },
    {
      id: 'reuseport-one',
      says: 'With one SO_REUSEPORT listener per process: one process woken per connection (mean).',
      fact: 'reuseportWokenPerConn',
      expect: { between: [1, 1.25] },
    },
    {
      id: 'reuseport-spread',
      says: 'SO_REUSEPORT spreads the eight connections over more than one process (by a hash of the 4-tuple).',
      fact: 'reuseportProcessesUsed',
      expect: { atLeast: 2 },
    },
    {
      id: 'all-accepted',
      says: 'Every variant accepted all eight connections, each exactly once.',
      fact: 'acceptedTotals',
      expect: { equals: [8, 8, 8, 8] },
    },
    {
      id: 'wire',
      says: 'On the wire: 32 handshakes, no RST.',
      fact: 'wire',
      expect: { equals: { syn: 32, synAck: 32, rst: 0 } },
    },
  ],
});
