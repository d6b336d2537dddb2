import { defineLab } from '../_lib/define.ts';
import { round3 } from '../_lib/packets.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import type { LabContext, Packet } from '../_lib/types.ts';
import { SILENT_RANGE, SPOOFED } from './_scenario.ts';

const PORT = 5010;
/** A SYN from this address reaches the listener; the SYN-ACKs to it are never answered. */
const SYN_FROM = SPOOFED(200);
/** The server's own connect() goes here: nobody answers. */
const CONNECT_TO = SPOOFED(201);
const RETRIES = 2;

export default defineLab({
  title: 'SYN-ACK retransmissions next to SYN retransmissions',
  verifies: `Verify: with tcp_synack_retries = ${RETRIES}, a listener whose SYN-ACK is never answered sends it 3 times, at 0, 1 and 3 s, and drops the request about 7 s after the SYN; with tcp_syn_retries = ${RETRIES} on the same host, a connect() nobody answers sends 6 SYNs 1 s apart (tcp_syn_linear_timeouts applies to SYNs only) and fails with ETIMEDOUT after about 7 s too.`,
  takeaway:
    'A server resends an unanswered SYN-ACK tcp_synack_retries times at doubling intervals and then drops the half-open request; the linear timeouts that SYNs have had since Linux 6.5 never apply to SYN-ACKs.',
  probes: ['handshakes/synsend.c', 'probes/tcp-server.c', 'probes/tcp-client.c'],
  run: async (ctx: LabContext) => {
    const {
      client: peer,
      server,
      capture,
    } = await clientServer(ctx, {
      names: ['peer', 'server'],
      server: {
        'net.ipv4.tcp_synack_retries': String(RETRIES),
        'net.ipv4.tcp_syn_retries': String(RETRIES),
        'net.ipv4.tcp_syn_linear_timeouts': '4',
      },
    });
    // The server reaches the unused addresses through the peer, which owns none of them and,
    // not being a router, drops what it receives for them: no RST, no ICMP.
    await server.run(['ip', 'route', 'add', SILENT_RANGE, 'via', CLIENT]);
    const listener = ctx.probe(server, 'probes/tcp-server.c', [SERVER, PORT, 8, 'hold']);
    await listener.waitFor('listening');
    const watch = ctx.probe(server, 'handshakes/synsend.c', ['watch', PORT, 15000]);
    await watch.waitFor('watching');

    // Both timers start together: one SYN towards the listener, one connect() from the server.
    const sender = ctx.probe(peer, 'handshakes/synsend.c', [
      'send',
      SYN_FROM,
      1,
      SERVER,
      PORT,
      40000,
    ]);
    await sender.waitFor('sent');
    const connector = ctx.probe(server, 'probes/tcp-client.c', [CONNECT_TO, 80, 1, 15000]);
    const failed = await connector.waitFor('failed', 15000);
    const gone = await watch.waitFor('gone', 15000);
    const packets = await capture.stop();

    const isSynAck = (p: Packet) => p.tcp?.syn && p.tcp.ack && p.ip.dst === SYN_FROM;
    const isSyn = (p: Packet) => p.tcp?.syn && !p.tcp.ack && p.ip.dst === CONNECT_TO;
    const synAckTimes = packets.filter(isSynAck).map((p) => p.t);
    const synTimes = packets.filter(isSyn).map((p) => p.t);
    const since = (times: number[]) => times.map((t) => round3(t - times[0]));
    const gaps = (times: number[]) => times.slice(1).map((t, i) => round3(t - times[i]));
    const seen = watch.events.find((e) => e.event === 'request');
    const started = connector.events.find((e) => e.event === 'connecting');
    return {
      hosts: [
        { name: 'silent peer', addrs: [CLIENT, SYN_FROM, CONNECT_TO] },
        { name: 'server', addrs: [SERVER] },
      ],
      // Both end about 7 s in: 1 + 2 + 4 s.
      inherentWaitS: 7,
      facts: {
        synAcks: synAckTimes.length,
        synAckTimesS: since(synAckTimes),
        synAckGapsS: gaps(synAckTimes),
        requestRetransmits: gone.retransmits,
        requestLifetimeS: seen ? round3(gone.t - seen.t) : undefined,
        syns: synTimes.length,
        synTimesS: since(synTimes),
        maxSynGapS: Math.max(...gaps(synTimes)),
        connectOutcome: failed.errno,
        connectFailedAfterS: started ? round3(failed.t - started.t) : undefined,
        answersFromPeer: packets.filter((p) => p.ip.src === CLIENT).length,
      },
    };
  },
  claims: [
    {
      id: 'synacks',
      says: `The SYN-ACK leaves ${RETRIES + 1} times: the first and tcp_synack_retries = ${RETRIES} retransmissions.`,
      fact: 'synAcks',
      expect: { equals: RETRIES + 1 },
    },
    {
      id: 'synack-1s',
      says: 'The first SYN-ACK retransmission leaves about 1 s after the SYN-ACK (the initial timeout) ...',
      observe: (r) => r.facts.synAckGapsS[0],
      expect: { between: [0.9, 1.5] },
    },
    {
      id: 'synack-2s',
      says: '... the second about 2 s after that: the SYN-ACK timer doubles, with no linear phase.',
      observe: (r) => r.facts.synAckGapsS[1],
      expect: { between: [1.8, 2.8] },
    },
    {
      id: 'request-expires',
      says: 'The request is dropped about 7 s after it was created, when the timer after the last retransmission (4 s) runs out.',
      fact: 'requestLifetimeS',
      expect: { between: [6.5, 8.5] },
    },
    {
      id: 'request-retransmits',
      says: `/proc/net/tcp shows the request with ${RETRIES} retransmissions just before it goes.`,
      fact: 'requestRetransmits',
      expect: { equals: RETRIES },
    },
    {
      id: 'syns',
      says: `The same host's connect() sends 6 SYNs with tcp_syn_retries = ${RETRIES}: the linear timeouts add retransmissions on the SYN side only.`,
      fact: 'syns',
      expect: { equals: 6 },
      kernel: {
        since: '6.5',
        before: { equals: 3 },
        change:
          'net.ipv4.tcp_syn_linear_timeouts, new in Linux 6.5 (ip-sysctl.rst); tcp_write_timeout() adds it to the SYN retry count',
      },
    },
    {
      id: 'syn-linear',
      says: 'Those SYNs are all about 1 s apart.',
      fact: 'maxSynGapS',
      expect: { between: [0.9, 1.5] },
      kernel: {
        since: '6.5',
        before: { between: [1.8, 2.8] },
        change:
          'before tcp_syn_linear_timeouts (Linux 6.5) every SYN timeout doubles: 1 s, then 2 s',
      },
    },
    {
      id: 'syn-errno',
      says: 'connect() fails with ETIMEDOUT ...',
      fact: 'connectOutcome',
      expect: { equals: 'ETIMEDOUT' },
    },
    {
      id: 'syn-when',
      says: `... after about 7 s, the budget of tcp_syn_retries = ${RETRIES} with doubling timeouts (1 + 2 + 4 s): the same as the request's lifetime.`,
      fact: 'connectFailedAfterS',
      expect: { between: [6.5, 8.5] },
    },
    {
      id: 'silent',
      says: 'The peer never answers anything: no ACK, no RST.',
      fact: 'answersFromPeer',
      expect: { equals: 0 },
    },
  ],
});
