import { defineLab } from '../_lib/define.ts';
import type { LabContext, LabRun } from '../_lib/types.ts';
import { onPort } from '../_lib/packets.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5102;
const TIMEOUT_MS = 250;
const SEND_BYTES = 1 << 20;
/** Small buffers on both ends, so the connection fills up after a few dozen segments. */
const RCVBUF = 16384;
const SNDBUF = 16384;

const step = (r: LabRun, name: string, field: 'errno' | 'elapsedMs' | 'ret') =>
  (r.facts.steps as Record<string, Record<string, unknown>>)[name]?.[field];
/** At least the timeout; at most 250 ms more, for scheduling delays on a loaded 2-core machine. */
const timed: [number, number] = [TIMEOUT_MS, TIMEOUT_MS + 250];

export default defineLab({
  title: 'SO_RCVTIMEO and SO_SNDTIMEO: blocking calls with a deadline',
  verifies:
    'Verify: with a 250 ms SO_RCVTIMEO a blocking recv() on a silent connection fails with EAGAIN after about 250 ms; with a 250 ms SO_SNDTIMEO a blocking send() into a peer that never reads returns the bytes it could queue, and the next one fails with EAGAIN; MSG_DONTWAIT and O_NONBLOCK calls fail at once whatever the timeouts.',
  takeaway:
    'SO_RCVTIMEO and SO_SNDTIMEO bound only blocking calls: a timed-out recv() fails with EAGAIN, not ETIMEDOUT, a timed-out send() returns the bytes it managed to queue or EAGAIN, and non-blocking calls ignore both options.',
  probes: ['socket-options/timeouts.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const receiver = ctx.probe(server, 'socket-options/timeouts.c', [
      'server',
      SERVER,
      PORT,
      RCVBUF,
    ]);
    await receiver.waitFor('listening');
    const sender = ctx.probe(client, 'socket-options/timeouts.c', [
      'client',
      SERVER,
      PORT,
      TIMEOUT_MS,
      SNDBUF,
      SEND_BYTES,
    ]);
    await sender.waitFor('done', 10_000);
    const packets = await capture.stop();

    const stepEvents = sender.events.filter((e) => e.event === 'step');
    const steps = Object.fromEntries(
      stepEvents
        .filter((e) => e.step !== 'send-partial-again')
        .map((e) => [e.step as string, { ret: e.ret, errno: e.errno, elapsedMs: e.elapsedMs }]),
    );
    const again = stepEvents.filter((e) => e.step === 'send-partial-again');
    const partial = Number(steps['send-partial']?.ret);
    const segs = onPort(packets, PORT);
    return {
      inherentWaitS: (3 * TIMEOUT_MS) / 1000,
      facts: {
        timeoutMs: TIMEOUT_MS,
        steps,
        recvTimeoutMs: steps['recv-timeout']?.elapsedMs,
        recvDontwaitMs: steps['recv-dontwait']?.elapsedMs,
        recvNonblockMs: steps['recv-nonblock']?.elapsedMs,
        sendNonblockMs: steps['send-nonblock']?.elapsedMs,
        sendPartialBytes: partial,
        sendPartialIsPartial: partial > 0 && partial < SEND_BYTES,
        sendPartialMs: steps['send-partial']?.elapsedMs,
        sendTimeoutMs: steps['send-timeout']?.elapsedMs,
        // Calls between the first partial send and the EAGAIN that still queued a little.
        extraPartialSends: again.map((e) => ({ ret: e.ret, elapsedMs: e.elapsedMs })),
        everyBlockedSendWaitedMs: Math.min(
          ...[steps['send-partial'], steps['send-timeout'], ...again].map((s) =>
            Number((s as { elapsedMs: unknown } | undefined)?.elapsedMs ?? 0),
          ),
        ),
        zeroWindowAdvertised: segs.some(
          (p) => p.tcp.srcPort === PORT && p.tcp.window === 0 && !p.tcp.syn,
        ),
        bytesOnWire: segs
          .filter((p) => p.tcp.dstPort === PORT)
          .reduce((n, p) => n + p.tcp.payloadLength, 0),
      },
    };
  },
  claims: [
    {
      id: 'recv-errno',
      says: 'A blocking recv() that times out fails with EAGAIN (not ETIMEDOUT).',
      observe: (r) => step(r, 'recv-timeout', 'errno'),
      expect: { equals: 'EAGAIN' },
    },
    {
      id: 'recv-time',
      says: 'It returns after the 250 ms timeout, rounded up to timer ticks.',
      observe: (r) => step(r, 'recv-timeout', 'elapsedMs'),
      expect: { between: timed },
    },
    {
      id: 'dontwait',
      says: 'recv(MSG_DONTWAIT) on the same blocking socket fails with EAGAIN at once.',
      observe: (r) => step(r, 'recv-dontwait', 'elapsedMs'),
      expect: { atMost: 20 },
    },
    {
      id: 'recv-nonblock',
      says: 'On an O_NONBLOCK socket SO_RCVTIMEO has no effect: recv() fails at once.',
      observe: (r) => step(r, 'recv-nonblock', 'elapsedMs'),
      expect: { atMost: 20 },
    },
    {
      id: 'send-partial',
      says: 'A blocking 1 MiB send() into full buffers returns a partial count, not an error.',
      fact: 'sendPartialIsPartial',
      expect: { equals: true },
    },
    {
      id: 'send-partial-time',
      says: 'It returns once it has been blocked for the timeout.',
      observe: (r) => step(r, 'send-partial', 'elapsedMs'),
      expect: { between: timed },
    },
    {
      id: 'send-errno',
      says: 'A send() that can queue nothing at all fails with EAGAIN after the timeout.',
      observe: (r) => step(r, 'send-timeout', 'errno'),
      expect: { equals: 'EAGAIN' },
    },
    {
      id: 'send-time',
      says: 'That failure also comes after the 250 ms timeout.',
      observe: (r) => step(r, 'send-timeout', 'elapsedMs'),
      expect: { between: timed },
    },
    {
      id: 'every-send-waited',
      says: 'Every blocking send() that returned, with a count or with EAGAIN, had waited the full timeout first.',
      fact: 'everyBlockedSendWaitedMs',
      expect: { atLeast: TIMEOUT_MS },
    },
    {
      id: 'send-nonblock',
      says: 'On an O_NONBLOCK socket SO_SNDTIMEO has no effect: send() fails with EAGAIN at once.',
      observe: (r) => step(r, 'send-nonblock', 'elapsedMs'),
      expect: { atMost: 20 },
    },
    {
      id: 'zero-window',
      says: 'On the wire, the receiver that never reads closes its receive window (win 0).',
      fact: 'zeroWindowAdvertised',
      expect: { equals: true },
    },
  ],
});
