import { defineLab } from '../_lib/define.ts';
import { onPort } from '../_lib/packets.ts';
import type { LabContext, LabEvent } from '../_lib/types.ts';

const PORT = 5100;
/** How long each epoll_wait may block: long enough to tell "timed out" from "returned at once". */
const TIMEOUT_MS = 200;

type Step = 'after-write-2048' | 'after-read-1024' | 'after-write-1-more' | 'after-drain';

export default defineLab({
  title: 'Level- and edge-triggered epoll on a pipe and a TCP socket',
  verifies:
    'Verify: after write 2048, epoll_wait, read 1024, a second epoll_wait reports the fd again with level-triggered epoll and times out with EPOLLET although 1024 bytes are unread; reading a non-blocking fd until EAGAIN drains it; on pipes and TCP sockets alike.',
  takeaway:
    'Level-triggered epoll reports an fd again for as long as data is unread; edge-triggered epoll reports it only when new data arrives, so an edge-triggered reader must read until EAGAIN or stall with data still queued.',
  probes: ['epoll/level-edge.c', 'epoll/epoll-util.h'],
  run: async (ctx: LabContext) => {
    const host = await ctx.host('host');
    const capture = await ctx.capture(host, 'lo');
    const probe = ctx.probe(host, 'epoll/level-edge.c', [PORT, TIMEOUT_MS]);
    await probe.waitFor('done', 15_000);
    await probe.exited;
    const packets = await capture.stop();

    const step = (kind: string, mode: string, name: Step): LabEvent | undefined =>
      probe.events.find(
        (e) => e.event === 'step' && e.kind === kind && e.mode === mode && e.step === name,
      );
    const drain = (kind: string, mode: string) =>
      probe.events.find((e) => e.event === 'drain' && e.kind === kind && e.mode === mode);
    const facts: Record<string, unknown> = {};
    for (const kind of ['pipe', 'tcp']) {
      for (const mode of ['lt', 'et']) {
        const key = `${kind}${mode === 'lt' ? 'Lt' : 'Et'}`;
        const afterRead = step(kind, mode, 'after-read-1024');
        facts[`${key}AfterWrite`] = step(kind, mode, 'after-write-2048')?.events;
        facts[`${key}AfterRead`] = afterRead?.events;
        facts[`${key}AfterReadTimedOut`] = afterRead?.timedOut;
        facts[`${key}AfterReadMs`] = afterRead?.ms;
        facts[`${key}PendingAtTimeout`] = afterRead?.pending;
        facts[`${key}AfterWriteMore`] = step(kind, mode, 'after-write-1-more')?.events;
        facts[`${key}DrainReads`] = drain(kind, mode)?.reads;
      }
    }
    facts.afterDrainTimedOut = ['pipe', 'tcp'].flatMap((kind) =>
      ['lt', 'et'].map((mode) => step(kind, mode, 'after-drain')?.timedOut),
    );
    facts.tcpDataSegments = onPort(packets, PORT)
      .filter((p) => p.tcp.payloadLength > 0)
      .map((p) => p.tcp.payloadLength);
    return {
      inherentWaitS: (6 * TIMEOUT_MS) / 1000,
      facts,
    };
  },
  claims: [
    {
      id: 'pipe-lt-again',
      says: 'Level-triggered, the pipe is reported again after reading only half of it.',
      fact: 'pipeLtAfterRead',
      expect: { equals: ['EPOLLIN'] },
    },
    {
      id: 'pipe-et-times-out',
      says: 'Edge-triggered, the same epoll_wait times out.',
      fact: 'pipeEtAfterReadTimedOut',
      expect: { equals: true },
    },
    {
      id: 'pipe-et-waited',
      says: 'It waited out the whole 200 ms timeout (ms, wide window for a loaded machine).',
      fact: 'pipeEtAfterReadMs',
      expect: { between: [150, 1000] },
    },
    {
      id: 'pipe-et-pending',
      says: 'Meanwhile 1024 bytes sit unread in the pipe (FIONREAD).',
      fact: 'pipeEtPendingAtTimeout',
      expect: { equals: 1024 },
    },
    {
      id: 'pipe-et-drain',
      says: 'The edge-triggered pattern reads everything (1024 + the extra byte), then read() fails with EAGAIN.',
      fact: 'pipeEtDrainReads',
      expect: { equals: [1025, 'EAGAIN'] },
    },
    {
      id: 'tcp-lt-again',
      says: 'Level-triggered, a TCP socket with unread bytes is reported again.',
      fact: 'tcpLtAfterRead',
      expect: { equals: ['EPOLLIN'] },
    },
    {
      id: 'tcp-et-times-out',
      says: 'Edge-triggered, the TCP socket with 1024 unread bytes is not reported: the wait times out.',
      fact: 'tcpEtAfterReadTimedOut',
      expect: { equals: true },
    },
    {
      id: 'tcp-et-pending',
      says: 'The TCP receive queue still holds 1024 bytes at that moment.',
      fact: 'tcpEtPendingAtTimeout',
      expect: { equals: 1024 },
    },
    {
      id: 'tcp-et-new-edge',
      says: 'Edge-triggered, one more byte arriving on a TCP socket that was never drained reports it again: an edge is any wakeup, not empty → non-empty.',
      fact: 'tcpEtAfterWriteMore',
      expect: { equals: ['EPOLLIN'] },
    },
    {
      id: 'pipe-et-new-edge',
      says: 'The same holds for the pipe: the one-byte write wakes the edge-triggered waiter.',
      fact: 'pipeEtAfterWriteMore',
      expect: { equals: ['EPOLLIN'] },
      kernelNote:
        'Linux 5.5 to 5.13 woke pipe readers only when the pipe went from empty to non-empty; 5.14 (commit 3a34b13a88ca, also backported to 5.10.y and 5.13.y stable) wakes them on every write again',
    },
    {
      id: 'tcp-et-drain',
      says: 'Reading the non-blocking TCP socket until EAGAIN takes all 1025 bytes in one read, then EAGAIN.',
      fact: 'tcpEtDrainReads',
      expect: { equals: [1025, 'EAGAIN'] },
    },
    {
      id: 'drained-quiet',
      says: 'Once drained, neither mode reports anything: every final wait times out.',
      fact: 'afterDrainTimedOut',
      expect: { equals: [true, true, true, true] },
    },
    {
      id: 'one-segment',
      says: 'On the wire the 2048 bytes travel as one segment on loopback (MSS 65483), so ET saw one wakeup for them.',
      fact: 'tcpDataSegments',
      expect: { equals: [2048, 1, 2048, 1] },
    },
  ],
});
