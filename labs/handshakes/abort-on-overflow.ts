import { defineLab } from '../_lib/define.ts';
import { counters } from '../_lib/observe.ts';
import { round3 } from '../_lib/packets.ts';
import { SERVER } from '../_lib/topology.ts';
import type { LabContext } from '../_lib/types.ts';
import { deltas, raceScenario } from './_scenario.ts';

export default defineLab({
  title: 'tcp_abort_on_overflow=1 resets the final ACK, not the SYN',
  verifies:
    'Verify: with net.ipv4.tcp_abort_on_overflow=1 and a full accept queue, a new SYN is still dropped without an answer, while a final ACK that finds the queue full is answered with RST: the client, ESTABLISHED since connect() returned, gets ECONNRESET from its first recv() and EPIPE from the write after it; the server counts EmbryonicRsts and accept() never sees the connection.',
  takeaway:
    'tcp_abort_on_overflow=1 does not refuse new SYNs, which a full accept queue still drops silently. It answers a final ACK that finds the queue full with RST, so a client whose connect() already succeeded gets ECONNRESET on its next call.',
  probes: ['handshakes/race.c'],
  run: async (ctx: LabContext) => {
    const race = await raceScenario(ctx, 1, true);
    const { capture, listener, racer, fromRacer, toRacer } = race;
    const read = await racer.waitFor('read', 5000);
    const write = await racer.waitFor('write', 5000);
    const late = await racer.waitFor('late', 5000);
    // What the server's application gets: the two queued connections, then nothing.
    listener.signal('SIGUSR1');
    const left = await listener.waitFor('left', 5000);
    const packets = await capture.stop();
    const serverCounters = await counters(race.server);

    const latePort = racer.events.find((e) => e.event === 'connecting')?.sport;
    const heldAck = packets.find((p) => fromRacer(p) && !p.tcp!.syn);
    const rst = packets.find((p) => toRacer(p) && p.tcp!.rst);
    const server = deltas(race.before, serverCounters, [
      'TcpExtListenOverflows',
      'TcpExtListenDrops',
      'TcpExtEmbryonicRsts',
    ]);
    return {
      facts: {
        racerState: race.connected.state,
        rstFlags: rst?.tcp!.flags,
        rstAfterAckMs: rst && heldAck ? Math.round((rst.t - heldAck.t) * 1e6) / 1e3 : undefined,
        rstSeqMinusAckOfHeldAck: rst && heldAck ? rst.tcp!.seq - heldAck.tcp!.ackNum : undefined,
        racerReadErrno: read.errno,
        racerReadAfterS: round3(read.afterS as number),
        racerWriteErrno: write.errno,
        lateState: late.state,
        lateAnswers: packets.filter((p) => p.ip.src === SERVER && p.tcp?.dstPort === latePort)
          .length,
        listenOverflows: server.TcpExtListenOverflows,
        listenDrops: server.TcpExtListenDrops,
        embryonicRsts: server.TcpExtEmbryonicRsts,
        acceptedOrder: listener.events
          .filter((e) => e.event === 'accepted')
          .map((e) => (e.peerPort === race.racerPort ? 'racer' : 'filler')),
        acceptAfter: left.errno,
      },
    };
  },
  claims: [
    {
      id: 'client-established',
      says: 'connect() returns and the client socket is ESTABLISHED (TCP_INFO), as without the setting.',
      fact: 'racerState',
      expect: { equals: 'ESTAB' },
    },
    {
      id: 'syn-silent',
      says: 'A SYN that finds the queue full gets no answer at all, setting or not: still SYN-SENT, nothing sent back to it.',
      observe: (r) => [r.facts.lateState, r.facts.lateAnswers],
      expect: { equals: ['SYN-SENT', 0] },
    },
    {
      id: 'rst',
      says: "The final ACK that finds the queue full is answered with a bare RST (no ACK flag) whose sequence number is that ACK's acknowledgment number (RFC 9293 §3.10.7.1: <SEQ=SEG.ACK><CTL=RST>).",
      observe: (r) => [r.facts.rstFlags, r.facts.rstSeqMinusAckOfHeldAck],
      expect: { equals: ['R', 0] },
    },
    {
      id: 'rst-fast',
      says: 'The RST leaves within milliseconds of that ACK: no timer involved.',
      fact: 'rstAfterAckMs',
      expect: { atMost: 50 },
      cost: true,
    },
    {
      id: 'econnreset',
      says: 'The client, waiting for a greeting, gets ECONNRESET from recv() ...',
      fact: 'racerReadErrno',
      expect: { equals: 'ECONNRESET' },
    },
    {
      id: 'econnreset-when',
      says: '... about 200 ms after connect() returned: when its held-back ACK reached the server.',
      fact: 'racerReadAfterS',
      expect: { between: [0.15, 0.6] },
    },
    {
      id: 'epipe',
      says: 'A write after that fails with EPIPE: the connection is gone.',
      fact: 'racerWriteErrno',
      expect: { equals: 'EPIPE' },
    },
    {
      id: 'counters',
      says: 'The server counts both refusals as ListenOverflows (the SYN and the ACK) and the reset as EmbryonicRsts.',
      observe: (r) => [r.facts.listenOverflows, r.facts.embryonicRsts],
      expect: { equals: [2, 1] },
    },
    {
      id: 'never-accepted',
      says: 'accept() returns the two queued connections, then EAGAIN: the application never sees the reset one.',
      observe: (r) => [...r.facts.acceptedOrder, r.facts.acceptAfter],
      expect: { equals: ['filler', 'filler', 'EAGAIN'] },
    },
  ],
});
