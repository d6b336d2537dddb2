import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcp } from '../_lib/packets.ts';

const EVEN_TARGET = 40500;
const ODD_TARGET = 40501;
const RANGE = '40490 40510';
const MAX_ATTEMPTS = 500;

export default defineLab({
  title: 'A socket that connects to itself',
  verifies: `Verify: connect() in a loop to 127.0.0.1:${EVEN_TARGET}, which nobody listens on but which lies inside ip_local_port_range ${RANGE.replace(' ', '–')}, ends with a socket whose source and destination are both ${EVEN_TARGET} (simultaneous open) that echoes its own bytes; port ${ODD_TARGET} is never reached.`,
  takeaway:
    "A connect() to a local port inside the ephemeral range, with nothing listening there, can be given that same port as its source and connect to itself through a simultaneous open. connect() prefers source ports with the parity of the range's low end, so a target port of the other parity is hit only once the preferred ones are used up.",
  probes: ['handshakes/self-connect.c'],
  run: async (ctx: LabContext) => {
    const host = await ctx.host('host', { sysctls: { 'net.ipv4.ip_local_port_range': RANGE } });
    const capture = await ctx.capture(host, 'lo');
    const hunt = ctx.probe(host, 'handshakes/self-connect.c', [
      '127.0.0.1',
      EVEN_TARGET,
      MAX_ATTEMPTS,
    ]);
    const summary = await hunt.waitFor('refused-summary');
    const self = await hunt.waitFor('self-connected');
    const echo = await hunt.waitFor('echo');
    await hunt.waitFor('closed');
    await hunt.exited;
    // The odd-port hunt is evidence by its port summary alone: stop the capture before it.
    const packets = await capture.stop();
    const odd = ctx.probe(host, 'handshakes/self-connect.c', [
      '127.0.0.1',
      ODD_TARGET,
      MAX_ATTEMPTS,
    ]);
    const oddSummary = await odd.waitFor('refused-summary');
    await odd.exited;

    const selfPackets = tcp(packets).filter(
      (p) => p.tcp.srcPort === EVEN_TARGET && p.tcp.dstPort === EVEN_TARGET,
    );
    const [syn, synAck] = selfPackets;
    return {
      hosts: [{ name: 'host', addrs: ['127.0.0.1'] }],
      facts: {
        attemptsBeforeSelf: summary.attempts,
        refusedBeforeSelf: summary.refused,
        selfAttempt: self.attempt,
        // Over both hunts: every attempt that did not connect to itself, and how each ended.
        failedAttempts: (summary.attempts as number) + (oddSummary.attempts as number),
        refusedAttempts: (summary.refused as number) + (oddSummary.refused as number),
        // Every source port connect() chose, the self-connection's own included.
        portsTried:
          (summary.evenPorts as number) +
          (summary.oddPorts as number) +
          (oddSummary.evenPorts as number) +
          (oddSummary.oddPorts as number),
        oddPortsTried: (summary.oddPorts as number) + (oddSummary.oddPorts as number),
        sourcePortsSeen: `${Math.min(summary.minPort as number, oddSummary.minPort as number)}–${Math.max(summary.maxPort as number, oddSummary.maxPort as number)}`,
        selfLocal: self.local,
        selfPeer: self.peer,
        selfState: self.state,
        selfFlags: selfPackets.slice(0, 3).map((p) => p.tcp.flags),
        selfSynIsn: syn?.tcp.seq,
        selfSynAckIsn: synAck?.tcp.seq,
        echoed: echo.bytes,
        oddTargetAttempts: oddSummary.attempts,
        oddTargetSelfConnects: odd.events.filter((e) => e.event === 'self-connected').length,
      },
    };
  },
  claims: [
    {
      id: 'self',
      says: 'The socket ends up connected from 127.0.0.1:40500 to 127.0.0.1:40500.',
      observe: (r) => [r.facts.selfLocal, r.facts.selfPeer],
      expect: { equals: ['127.0.0.1:40500', '127.0.0.1:40500'] },
    },
    {
      id: 'attempt',
      says: 'It took one or more attempts: the kernel picked 40500 as the source port at some point, sometimes on the very first try.',
      fact: 'selfAttempt',
      expect: { between: [1, 500] },
    },
    {
      id: 'refused-otherwise',
      says: 'Every attempt that did not connect to itself, in both hunts, was refused with RST (ECONNREFUSED): no other outcome.',
      observe: (r) => r.facts.failedAttempts - r.facts.refusedAttempts,
      expect: { equals: 0 },
    },
    {
      id: 'simultaneous-open',
      says: 'On the wire: SYN, then SYN-ACK with the same ISN, then ACK, all 40500 → 40500.',
      fact: 'selfFlags',
      expect: { equals: ['S', 'S.', '.'] },
    },
    {
      id: 'same-isn',
      says: 'The SYN-ACK carries the very ISN of the SYN: one socket plays both ends.',
      observe: (r) => r.facts.selfSynAckIsn! - r.facts.selfSynIsn!,
      expect: { equals: 0 },
    },
    {
      id: 'state',
      says: 'TCP_INFO reports the self-connected socket ESTABLISHED.',
      fact: 'selfState',
      expect: { equals: 'ESTAB' },
    },
    {
      id: 'echo',
      says: 'What it writes, it reads back from itself.',
      fact: 'echoed',
      expect: { equals: 'hello' },
    },
    {
      id: 'ports-sampled',
      says: `The two hunts saw at least ${MAX_ATTEMPTS + 1} source ports chosen by connect() ...`,
      fact: 'portsTried',
      expect: { atLeast: MAX_ATTEMPTS + 1 },
    },
    {
      id: 'even-ports',
      says: '... and every one was even, like the low end of the range.',
      fact: 'oddPortsTried',
      expect: { equals: 0 },
      kernelNote:
        "Linux ≥ 4.6 tries the low bound's parity first for connect() and leaves the other parity to bind(0)",
    },
    {
      id: 'odd-unreachable',
      says: `Aiming at odd port ${ODD_TARGET}, ${MAX_ATTEMPTS} attempts never connect to themselves.`,
      observe: (r) => [r.facts.oddTargetAttempts, r.facts.oddTargetSelfConnects],
      expect: { equals: [MAX_ATTEMPTS, 0] },
      kernelNote:
        "Linux ≥ 4.6 tries the low bound's parity first for connect() and leaves the other parity to bind(0)",
    },
  ],
});
