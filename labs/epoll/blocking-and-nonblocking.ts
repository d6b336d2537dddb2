import { defineLab } from '../_lib/define.ts';
import type { LabContext, LabEvent } from '../_lib/types.ts';

const PORT = 5130;
const TIMEOUT_MS = 200;
const SIGNAL_MS = 50;

export default defineLab({
  title: 'Blocking with a timeout, O_NONBLOCK, MSG_DONTWAIT and EINTR',
  verifies:
    'Verify: recv() on an idle blocking socket with SO_RCVTIMEO 200 ms fails EAGAIN after about 200 ms; with O_NONBLOCK or MSG_DONTWAIT it fails EAGAIN at once; O_NONBLOCK set on one fd shows on its dup(); poll() is not shortened by SO_RCVTIMEO; a SIGALRM handler with SA_RESTART interrupts recv() with a timeout and epoll_wait() with EINTR but transparently restarts recv() without one.',
  takeaway:
    'SO_RCVTIMEO makes a blocking recv() fail with EAGAIN after the timeout and changes neither non-blocking calls nor poll(). O_NONBLOCK belongs to the open file and is shared by every dup() of it, MSG_DONTWAIT applies to one call, and a signal interrupts epoll_wait() and a timed recv() with EINTR even with SA_RESTART.',
  probes: ['epoll/blocking.c', 'epoll/epoll-util.h'],
  run: async (ctx: LabContext) => {
    const host = await ctx.host('host');
    const capture = await ctx.capture(host, 'lo');
    const probe = ctx.probe(host, 'epoll/blocking.c', [PORT, TIMEOUT_MS, SIGNAL_MS]);
    await probe.waitFor('done', 15_000);
    await probe.exited;
    await capture.stop();

    const c = (name: string): LabEvent =>
      probe.events.find((e) => e.event === 'case' && e.case === name) ?? ({} as LabEvent);
    const k = probe.events.find((e) => e.event === 'constants');
    return {
      inherentWaitS: (4 * TIMEOUT_MS + 4 * SIGNAL_MS) / 1000,
      facts: {
        eagain: k?.EAGAIN,
        ewouldblock: k?.EWOULDBLOCK,
        eagainEqualsEwouldblock: k !== undefined && k.EAGAIN === k.EWOULDBLOCK,
        rcvtimeoErrno: c('rcvtimeo').errno,
        rcvtimeoMs: c('rcvtimeo').ms,
        rcvtimeoNonblockErrno: c('rcvtimeo-nb').errno,
        rcvtimeoNonblockMs: c('rcvtimeo-nb').ms,
        dontwaitErrno: c('dontwait').errno,
        dontwaitMs: c('dontwait').ms,
        dontwaitFdNonblockAfter: c('dontwait').fdNonblockAfter,
        afterDontwaitErrno: c('after-dontwait').errno,
        afterDontwaitMs: c('after-dontwait').ms,
        origNonblock: c('dup').origNonblock,
        dupNonblock: c('dup').dupNonblock,
        dupErrno: c('dup').errno,
        dupMs: c('dup').ms,
        origNonblockAfterClearOnDup: c('dup-clear').origNonblockAfterClearOnDup,
        pollRet: c('poll-ignores').ret,
        pollMs: c('poll-ignores').ms,
        eintrRcvtimeoErrno: c('eintr-rcvtimeo').errno,
        eintrRcvtimeoMs: c('eintr-rcvtimeo').ms,
        restartRet: c('eintr-restart').ret,
        restartHandlerRan: c('eintr-restart').handlerRan,
        restartMs: c('eintr-restart').ms,
        eintrEpollErrno: c('eintr-epoll').errno,
        eintrEpollMs: c('eintr-epoll').ms,
      },
    };
  },
  claims: [
    {
      id: 'eagain-is-ewouldblock',
      says: 'EAGAIN and EWOULDBLOCK are the same number on Linux.',
      fact: 'eagainEqualsEwouldblock',
      expect: { equals: true },
    },
    {
      id: 'rcvtimeo-errno',
      says: 'A blocking recv() with SO_RCVTIMEO on an idle socket fails with EAGAIN…',
      fact: 'rcvtimeoErrno',
      expect: { equals: 'EAGAIN' },
    },
    {
      id: 'rcvtimeo-ms',
      says: '…after the 200 ms timeout (ms).',
      fact: 'rcvtimeoMs',
      expect: { between: [190, 800] },
    },
    {
      id: 'nonblock-ignores-timeout',
      says: 'Made O_NONBLOCK, the same socket fails EAGAIN within 5 ms instead of after the timeout: the timeout only bounds a blocking call (ms).',
      fact: 'rcvtimeoNonblockMs',
      expect: { atMost: 5 },
      cost: true,
    },
    {
      id: 'dontwait',
      says: 'recv(MSG_DONTWAIT) on a blocking socket fails EAGAIN within 5 ms, without waiting (ms)…',
      fact: 'dontwaitMs',
      expect: { atMost: 5 },
      cost: true,
    },
    {
      id: 'dontwait-per-call',
      says: '…and leaves the fd as it was: O_NONBLOCK is still clear afterwards.',
      fact: 'dontwaitFdNonblockAfter',
      expect: { equals: false },
    },
    {
      id: 'after-dontwait-blocks',
      says: 'So the next plain recv() blocks again, for the full timeout (ms).',
      fact: 'afterDontwaitMs',
      expect: { between: [190, 800] },
    },
    {
      id: 'dup-shares',
      says: 'O_NONBLOCK set through one fd shows on its dup(): the flag belongs to the open file description.',
      fact: 'dupNonblock',
      expect: { equals: true },
    },
    {
      id: 'dup-recv',
      says: 'So recv() on the dup()ed fd fails EAGAIN instead of blocking.',
      fact: 'dupErrno',
      expect: { equals: 'EAGAIN' },
    },
    {
      id: 'dup-clear',
      says: 'Clearing it through the dup() clears it for the original too.',
      fact: 'origNonblockAfterClearOnDup',
      expect: { equals: false },
    },
    {
      id: 'poll-ignores',
      says: 'SO_RCVTIMEO (50 ms) does not shorten poll(): it returns 0 after its own 200 ms (ms).',
      fact: 'pollMs',
      expect: { between: [190, 800] },
    },
    {
      id: 'eintr-rcvtimeo',
      says: 'A SIGALRM handler installed with SA_RESTART still makes recv() with SO_RCVTIMEO fail with EINTR…',
      fact: 'eintrRcvtimeoErrno',
      expect: { equals: 'EINTR' },
    },
    {
      id: 'eintr-rcvtimeo-ms',
      says: '…when the signal arrives, at 50 ms (ms).',
      fact: 'eintrRcvtimeoMs',
      expect: { between: [40, 400] },
    },
    {
      id: 'restart',
      says: 'Without SO_RCVTIMEO the same handler runs and recv() is restarted: it returns the 5 bytes written at 150 ms.',
      observe: (r) => [r.facts.restartRet, r.facts.restartHandlerRan],
      expect: { equals: [5, 1] },
    },
    {
      id: 'restart-ms',
      says: 'The restarted recv() returned when the data came, not when the signal did (ms).',
      fact: 'restartMs',
      expect: { between: [140, 800] },
    },
    {
      id: 'eintr-epoll',
      says: 'epoll_wait() is never restarted: EINTR despite SA_RESTART.',
      fact: 'eintrEpollErrno',
      expect: { equals: 'EINTR' },
    },
  ],
});
