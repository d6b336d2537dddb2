import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { retransmissions } from '../_lib/packets.ts';
import { ms, vanishedPeer } from './_scenario.ts';

const PORT = 5108;
const USER_TIMEOUT_MS = 1500;

export default defineLab({
  title: 'TCP_USER_TIMEOUT bounds how long unacknowledged data is retried',
  verifies:
    'Verify: after the path to the server starts dropping everything, 100 bytes sent on a connection with TCP_USER_TIMEOUT 1500 ms are retransmitted with exponential backoff and the socket fails with ETIMEDOUT about 1.5 s after the send; the same send on a connection without the option is still being retransmitted, ESTABLISHED and without error, at that moment.',
  takeaway:
    'TCP_USER_TIMEOUT caps how long unacknowledged data is retransmitted: once it has passed, the connection fails with ETIMEDOUT, where without it the retries would go on for many minutes under tcp_retries2.',
  probes: ['socket-options/liveness.c', 'probes/tcp_info.h'],
  run: async (ctx: LabContext) => {
    const s = await vanishedPeer(ctx, PORT, ['usertimeout', USER_TIMEOUT_MS]);
    const retransmitted = retransmissions(s.packets);
    const dataA = s.packets.filter((p) => p.tcp?.srcPort === s.sportA && p.tcp.payloadLength > 0);
    const gaps = dataA.slice(1).map((p, i) => ms(p.t - dataA[i].t));
    // dataA[0] is the send, dataA[1] the tail loss probe, dataA[2] the first RTO retransmission.
    const firstRtoMs = dataA.length > 2 ? ms(dataA[2].t - dataA[0].t) : undefined;
    const detectMs = Number(s.dead.elapsedMs);
    return {
      // The kernel gives up at the first timer run after TCP_USER_TIMEOUT has passed (here the
      // retransmission timer), so the wait is its observed detection time, not the option value.
      inherentWaitS: detectMs / 1000,
      facts: {
        userTimeoutMs: USER_TIMEOUT_MS,
        tcpRetries2: Number(await s.client.readSysctl('net.ipv4.tcp_retries2')),
        userTimeoutErrno: s.dead.errno,
        userTimeoutDetectMs: s.dead.elapsedMs,
        pollRevents: s.dead.pollRevents,
        retransmitsA: retransmitted.filter((p) => p.tcp.srcPort === s.sportA).length,
        transmissionGapsMsA: gaps,
        firstRtoRetransmitMs: firstRtoMs,
        userTimeoutAfterFirstRtoMs:
          firstRtoMs === undefined ? undefined : Math.round((detectMs - firstRtoMs) * 1000) / 1000,
        // Gaps after the tail loss probe: each at least 1.6 × the one before.
        backoffDoubles: gaps.length >= 3 && gaps.slice(2).every((g, i) => g > 1.6 * gaps[i + 1]),
        lastSegmentFlagsA: s.packets.filter((p) => p.tcp?.srcPort === s.sportA).at(-1)?.tcp?.flags,
        sendAfterErrno: s.after.errno,
        otherState: s.other.state,
        otherError: s.other.soError,
        otherTotalRetrans: s.other.totalRetrans,
        otherUnacked: s.other.unacked,
        otherRtoMs: Number(s.other.rtoUs) / 1000,
      },
    };
  },
  claims: [
    {
      id: 'errno',
      says: 'The connection with TCP_USER_TIMEOUT fails with ETIMEDOUT.',
      fact: 'userTimeoutErrno',
      expect: { equals: 'ETIMEDOUT' },
    },
    {
      id: 'when',
      says: 'It fails within about 2.5 s of the send: the user timeout bounds the retrying.',
      fact: 'userTimeoutDetectMs',
      expect: { between: [USER_TIMEOUT_MS - 50, USER_TIMEOUT_MS + 1100] },
    },
    {
      id: 'clock-start',
      says: 'The 1.5 s are counted from the first retransmission driven by the retransmission timer (RTO), not from the send: the error comes 1.5 s after it.',
      fact: 'userTimeoutAfterFirstRtoMs',
      expect: { between: [USER_TIMEOUT_MS - 50, USER_TIMEOUT_MS + 300] },
      kernelNote:
        'measured on 6.18, where tcp_retransmit_skb() stamps retrans_stamp after sending; older kernels took the stamp of the earlier transmission',
    },
    {
      id: 'retried',
      says: 'Until then the data was retransmitted, at least twice.',
      fact: 'retransmitsA',
      expect: { atLeast: 2 },
    },
    {
      id: 'tlp',
      says: 'The first retransmission is a tail loss probe about 200 ms after the send (2 × SRTT + TCP_RTO_MIN for a single segment in flight).',
      observe: (r) => r.facts.transmissionGapsMsA && (r.facts.transmissionGapsMsA as number[])[0],
      expect: { between: [190, 320] },
      kernelNote: 'tail loss probes since Linux 3.10 (net.ipv4.tcp_early_retrans = 3)',
    },
    {
      id: 'backoff',
      says: 'After it, the gaps between retransmission-timer retransmissions double (exponential backoff).',
      fact: 'backoffDoubles',
      expect: { equals: true },
    },
    {
      id: 'after',
      says: 'A send() after the error fails with EPIPE.',
      fact: 'sendAfterErrno',
      expect: { equals: 'EPIPE' },
    },
    {
      id: 'other-alive',
      says: 'The connection without the option is still ESTABLISHED, with no error, at that moment.',
      observe: (r) => `${r.facts.otherState} ${r.facts.otherError}`,
      expect: { equals: 'ESTAB none' },
    },
    {
      id: 'other-retrying',
      says: 'It is still retransmitting its unacknowledged data.',
      fact: 'otherTotalRetrans',
      expect: { atLeast: 1 },
    },
  ],
});
