import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcp } from '../_lib/packets.ts';
import { ms, vanishedPeer } from './_scenario.ts';

const PORT = 5107;
const IDLE = 1;
const INTVL = 1;
const CNT = 2;
const DETECT_MS = (IDLE + INTVL * CNT) * 1000;

export default defineLab({
  title: 'Keepalive notices a vanished peer; an idle connection never does',
  verifies:
    'Verify: after the path to the server starts dropping everything, an idle connection without keepalive stays ESTABLISHED with nothing on the wire, while one with SO_KEEPALIVE, TCP_KEEPIDLE 1, TCP_KEEPINTVL 1 and TCP_KEEPCNT 2 sends two unanswered probes one second apart, resets, and fails with ETIMEDOUT about 3 s after keepalive was switched on; a later send() fails with EPIPE.',
  takeaway:
    'An idle TCP connection whose peer has vanished stays ESTABLISHED forever; with SO_KEEPALIVE the kernel sends probes after the idle time and fails the connection with ETIMEDOUT once TCP_KEEPCNT probes go unanswered.',
  probes: ['socket-options/liveness.c', 'probes/tcp_info.h'],
  run: async (ctx: LabContext) => {
    const s = await vanishedPeer(ctx, PORT, ['keepalive', IDLE, INTVL, CNT]);
    const segs = tcp(s.packets);
    const a = segs.filter((p) => p.tcp.srcPort === s.sportA);
    const probes = a.filter(
      (p) =>
        !p.tcp.syn && !p.tcp.rst && !p.tcp.fin && p.tcp.payloadLength === 0 && p.tcp.relSeq === 0,
    );
    const b = segs.filter((p) => p.tcp.srcPort === s.sportB || p.tcp.dstPort === s.sportB);
    return {
      inherentWaitS: DETECT_MS / 1000,
      facts: {
        defaultKeepaliveTimeS: Number(await s.client.readSysctl('net.ipv4.tcp_keepalive_time')),
        defaultKeepaliveIntvlS: Number(await s.client.readSysctl('net.ipv4.tcp_keepalive_intvl')),
        defaultKeepaliveProbes: Number(await s.client.readSysctl('net.ipv4.tcp_keepalive_probes')),
        keepidleS: IDLE,
        keepintvlS: INTVL,
        keepcnt: CNT,
        keepaliveErrno: s.dead.errno,
        keepaliveDetectMs: s.dead.elapsedMs,
        pollRevents: s.dead.pollRevents,
        keepaliveProbes: probes.length,
        probeRelSeqs: probes.map((p) => p.tcp.relSeq),
        probeIntervalMs: probes.length >= 2 ? ms(probes[1].t - probes[0].t) : undefined,
        lastProbeToResetMs:
          probes.length && a.at(-1)?.tcp.rst ? ms(a.at(-1)!.t - probes.at(-1)!.t) : undefined,
        lastSegmentFlags: a.at(-1)?.tcp.flags,
        sendAfterErrno: s.after.errno,
        otherState: s.other.state,
        otherError: s.other.soError,
        otherSegmentsAfterHandshake: b.length - 3,
      },
    };
  },
  claims: [
    {
      id: 'errno',
      says: 'The keepalive connection fails with ETIMEDOUT.',
      fact: 'keepaliveErrno',
      expect: { equals: 'ETIMEDOUT' },
    },
    {
      id: 'when',
      says: 'It fails after idle + intvl × cnt = 3 s (timer slack allowed).',
      fact: 'keepaliveDetectMs',
      expect: { between: [DETECT_MS - 100, DETECT_MS + 1000] },
    },
    {
      id: 'probes',
      says: 'Exactly TCP_KEEPCNT = 2 keepalive probes go unanswered before the kernel gives up.',
      fact: 'keepaliveProbes',
      expect: { equals: CNT },
    },
    {
      id: 'interval',
      says: 'The probes are TCP_KEEPINTVL = 1 s apart.',
      fact: 'probeIntervalMs',
      expect: { between: [900, 1400] },
    },
    {
      id: 'probe-shape',
      says: 'A probe is an empty ACK one byte below the next sequence number (seq = snd_una − 1), which forces the peer to answer.',
      fact: 'probeRelSeqs',
      expect: { equals: [0, 0] },
    },
    {
      id: 'reset',
      says: 'On giving up the kernel sends a RST (into the black hole).',
      fact: 'lastSegmentFlags',
      expect: { equals: 'R.' },
    },
    {
      id: 'after',
      says: 'The next send() on the dead socket fails with EPIPE (no SIGPIPE thanks to MSG_NOSIGNAL).',
      fact: 'sendAfterErrno',
      expect: { equals: 'EPIPE' },
    },
    {
      id: 'idle-unaware',
      says: 'The idle connection without keepalive is still ESTABLISHED, with no error, at that moment.',
      observe: (r) => `${r.facts.otherState} ${r.facts.otherError}`,
      expect: { equals: 'ESTAB none' },
    },
    {
      id: 'idle-silent',
      says: 'Nothing at all was sent on the idle connection after the handshake.',
      fact: 'otherSegmentsAfterHandshake',
      expect: { equals: 0 },
    },
  ],
});
