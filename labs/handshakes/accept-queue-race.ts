import { defineLab } from '../_lib/define.ts';
import { counters } from '../_lib/observe.ts';
import { round3 } from '../_lib/packets.ts';
import type { LabContext } from '../_lib/types.ts';
import { deltas, RACE_FILLERS, raceScenario } from './_scenario.ts';

export default defineLab({
  title: 'The accept-queue race: ESTABLISHED on one side only',
  verifies:
    "Verify: a client whose final ACK reaches a full accept queue (backlog 1) is ESTABLISHED while the server holds only a SYN-RECV request; with the default tcp_abort_on_overflow=0 the server drops that ACK, retransmits its SYN-ACK 1 s and 3 s after the first, drops the client's answer while the queue is still full, and completes the connection from the next answer once accept() has made room: accept() returns it and the client reads the server's greeting.",
  takeaway:
    'A client can be ESTABLISHED while the server holds only a half-open request: when the final ACK finds the accept queue full, the server drops it and retransmits its SYN-ACK until there is room, and the connection completes late.',
  probes: ['handshakes/race.c'],
  run: async (ctx: LabContext) => {
    const race = await raceScenario(ctx, 0, false);
    const { capture, listener, racer, fromRacer, toRacer } = race;
    // The server's first SYN-ACK retransmission, and the client's answer to it.
    const synAcks = (after = 0) =>
      capture.waitForPacket((p) => toRacer(p) && p.tcp!.syn && p.tcp!.ack && p.t > after, 5000);
    const first = await synAcks();
    const second = await synAcks(first.t);
    await capture.waitForPacket((p) => fromRacer(p) && p.t > second.t, 5000);
    // Now make room: the server accepts the two queued connections, then waits for the racer.
    ctx.note(race.server, 'accept-now');
    listener.signal('SIGUSR1');
    const accepted = await listener.waitFor(
      (e) => e.event === 'accepted' && e.n === RACE_FILLERS + 1,
      8000,
    );
    const read = await racer.waitFor('read', 25_000);
    const packets = await capture.stop();
    const serverCounters = await counters(race.server);
    const clientCounters = await counters(race.client);

    const racerPackets = packets.filter((p) => fromRacer(p) || toRacer(p));
    const synAckTimes = racerPackets
      .filter((p) => toRacer(p) && p.tcp!.syn && p.tcp!.ack)
      .map((p) => p.t);
    const heldAck = racerPackets.find((p) => fromRacer(p) && !p.tcp!.syn);
    const server = deltas(race.before, serverCounters, [
      'TcpExtListenOverflows',
      'TcpExtListenDrops',
      'TcpExtEmbryonicRsts',
    ]);
    return {
      // The SYN-ACK timer: 1 s, then 2 s more, until the connection completes.
      inherentWaitS: 3,
      facts: {
        racerState: race.connected.state,
        racerPort: race.racerPort,
        serverViewDuringRace: race.racerRequest,
        listenRecvQ: race.listenRecvQ,
        finalAckDelayMs:
          heldAck && synAckTimes.length
            ? Math.round((heldAck.t - synAckTimes[0]) * 1e4) / 10
            : undefined,
        synAcks: synAckTimes.length,
        synAckTimesS: synAckTimes.map((t) => round3(t - synAckTimes[0])),
        synAckGapsS: synAckTimes.slice(1).map((t, i) => round3(t - synAckTimes[i])),
        racerAcks: racerPackets.filter((p) => fromRacer(p) && !p.tcp!.syn).length,
        rstCount: racerPackets.filter((p) => p.tcp!.rst).length,
        listenOverflows: server.TcpExtListenOverflows,
        listenDrops: server.TcpExtListenDrops,
        embryonicRsts: server.TcpExtEmbryonicRsts,
        clientSynChallenges: clientCounters.TcpExtTCPSYNChallenge,
        acceptedOrder: listener.events
          .filter((e) => e.event === 'accepted')
          .map((e) => (e.peerPort === race.racerPort ? 'racer' : 'filler')),
        racerAcceptedState: accepted.state,
        racerRead: read.bytes,
        racerReadAfterS: round3(read.afterS as number),
      },
    };
  },
  claims: [
    {
      id: 'client-established',
      says: 'connect() returns at once and the client socket is ESTABLISHED (TCP_INFO).',
      fact: 'racerState',
      expect: { equals: 'ESTAB' },
    },
    {
      id: 'server-request',
      says: 'Meanwhile ss on the server shows the same connection as SYN-RECV: a request, not a socket.',
      fact: 'serverViewDuringRace',
      expect: { equals: 'SYN-RECV' },
    },
    {
      id: 'queue-full',
      says: 'The two connections behind it filled the accept queue: Recv-Q 2 with backlog 1.',
      fact: 'listenRecvQ',
      expect: { equals: 2 },
    },
    {
      id: 'held-ack',
      says: "The client's final ACK leaves about 200 ms after the SYN-ACK (its delayed-ACK timer, TCP_QUICKACK off): by then the queue is full.",
      fact: 'finalAckDelayMs',
      expect: { between: [150, 400] },
    },
    {
      id: 'dropped',
      says: 'The server drops every answer the client sends while the queue is full, the final ACK and the answer to each SYN-ACK retransmission before accept() makes room: ListenOverflows counts each (2 when the room comes before the second retransmission), and nothing sends RST.',
      observe: (r) => {
        // Every SYN-ACK is answered once; only the answer to the last one finds room.
        const dropped = (r.facts.synAcks as number) - 1;
        const rsts = (r.facts.rstCount as number) + (r.facts.embryonicRsts as number);
        return r.facts.listenOverflows === dropped && rsts === 0
          ? dropped
          : `${r.facts.listenOverflows} overflows for ${dropped} dropped answers, ${rsts} RST`;
      },
      expect: { atLeast: 2 },
    },
    {
      id: 'synack-1s',
      says: 'The request retransmits its SYN-ACK about 1 s after the first ...',
      observe: (r) => r.facts.synAckGapsS[0],
      expect: { between: [0.9, 1.5] },
    },
    {
      id: 'synack-2s',
      says: '... and about 2 s after that: the SYN-ACK timer doubles.',
      observe: (r) => r.facts.synAckGapsS[1],
      expect: { between: [1.8, 2.8] },
    },
    {
      id: 'challenge',
      says: 'The ESTABLISHED client answers each retransmitted SYN-ACK with an ACK (a challenge ACK, RFC 5961 §4): one per retransmission, at least 2.',
      observe: (r) => {
        const retransmissions = (r.facts.synAcks as number) - 1;
        return r.facts.clientSynChallenges === retransmissions
          ? retransmissions
          : `${r.facts.clientSynChallenges} challenge ACKs for ${retransmissions} retransmissions`;
      },
      expect: { atLeast: 2 },
    },
    {
      id: 'completes',
      says: 'Once accept() has made room, the next answer creates the socket: accept() returns the racer after the two others.',
      fact: 'acceptedOrder',
      expect: { equals: ['filler', 'filler', 'racer'] },
    },
    {
      id: 'greeting',
      says: "The client then reads the server's greeting: the connection works.",
      fact: 'racerRead',
      expect: { equals: 'hello' },
    },
    {
      id: 'late',
      says: "It arrives right after the SYN-ACK retransmission whose answer completed the connection (3 s after connect() when accept() made room before it): the connection waited on the server's SYN-ACK timer.",
      observe: (r) =>
        round3((r.facts.racerReadAfterS as number) - (r.facts.synAckTimesS as number[]).at(-1)!),
      expect: { between: [-0.05, 0.5] },
    },
  ],
});
