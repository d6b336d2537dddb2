import { defineLab } from '../_lib/define.ts';
import type { LabContext, LabEvent, Packet } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { waitUntil } from '../_lib/wait.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { nextStep } from './_scenario.ts';

const PORT = 5090;
const NO_TIMESTAMPS = { 'net.ipv4.tcp_timestamps': '0' };

export default defineLab({
  title: 'RFC 5961: a blind RST or SYN draws a challenge ACK',
  verifies:
    'Verify: on two established connections, a RST whose sequence number is inside the receive window but not the next expected one, and a SYN on the established 4-tuple, are each answered with one ACK carrying the expected numbers (a challenge ACK) and change nothing: both connections still carry data. A RST outside the window is dropped without an answer. Only a RST at exactly the next expected sequence number resets the connection (ECONNRESET).',
  takeaway:
    'A RST or SYN inside the window but not at the exact expected sequence number does not reset an established connection: Linux answers it with a challenge ACK (RFC 5961). Only a RST at exactly the next expected sequence number resets it, and one outside the window is ignored.',
  probes: ['teardown/challenge.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx, {
      client: NO_TIMESTAMPS,
      server: NO_TIMESTAMPS,
    });
    const srv = ctx.probe(server, 'teardown/challenge.c', ['server', SERVER, PORT, 2]);
    await srv.waitFor('listening');
    const cli = ctx.probe(client, 'teardown/challenge.c', [
      'client',
      SERVER,
      PORT,
      2,
      'rst-in:0',
      'rst-out:1,syn:1',
      'data:0,data:1',
      'rst-exact:0',
    ]);
    await srv.waitFor((e) => e.event === 'accepted' && e.conn === 1);
    const count = async (name: string) => (await counters(server))[name] ?? 0;

    await nextStep(cli); // in-window RST on connection 0
    await waitUntil('a challenge ACK', async () => (await count('TcpExtTCPChallengeACK')) >= 1);
    await nextStep(cli); // out-of-window RST, then a SYN, on connection 1
    await waitUntil('a SYN challenge', async () => (await count('TcpExtTCPSYNChallenge')) >= 1);
    const afterBlind = await counters(server);
    await nextStep(cli); // data on both
    const reads = await Promise.all(
      [0, 1].map((conn) => srv.waitFor((e) => e.event === 'read' && e.conn === conn)),
    );
    await nextStep(cli); // the exact RST on connection 0
    const reset = await srv.waitFor((e) => e.event === 'error' && e.conn === 0);
    const after = await counters(server);
    const packets = await capture.stop();

    const sent = (action: string) =>
      cli.events.find((e) => e.event === 'sent' && e.action === action) as LabEvent;
    return {
      facts: {
        inWindowRst: answers(packets, sent('rst-in')),
        outOfWindowRst: answers(packets, sent('rst-out')),
        synOnEstablished: answers(packets, sent('syn')),
        exactRst: answers(packets, sent('rst-exact')),
        challengeAcks: afterBlind.TcpExtTCPChallengeACK,
        synChallenges: afterBlind.TcpExtTCPSYNChallenge,
        skippedChallenges: afterBlind.TcpExtTCPACKSkippedChallenge,
        resetsBeforeExact: afterBlind.TcpEstabResets,
        dataAfterBlind: reads.map((e) => `${e.bytes} bytes, ${e.state}`),
        exactRstErrno: reset.errno,
        resetsAfterExact: after.TcpEstabResets,
        invalidRatelimitMs: await server.readSysctl('net.ipv4.tcp_invalid_ratelimit'),
      },
    };
  },
  claims: [
    {
      id: 'rst-in-window',
      says: 'A RST 1000 bytes past the next expected sequence number (in the window) is answered by one ACK that acknowledges exactly the next expected byte: the challenge ACK.',
      fact: 'inWindowRst',
      expect: { equals: ['. ack=rcv_nxt'] },
    },
    {
      id: 'rst-out-of-window',
      says: 'A RST outside the receive window gets no answer at all.',
      fact: 'outOfWindowRst',
      expect: { equals: [] },
    },
    {
      id: 'syn',
      says: 'A SYN on the established 4-tuple is answered the same way: one challenge ACK, no SYN-ACK, no RST.',
      fact: 'synOnEstablished',
      expect: { equals: ['. ack=rcv_nxt'] },
    },
    {
      id: 'counters',
      says: 'nstat counts two challenge ACKs, one of them for the SYN, none skipped by the rate limit, and no reset.',
      observe: (r) => [
        r.facts.challengeAcks,
        r.facts.synChallenges,
        r.facts.skippedChallenges,
        r.facts.resetsBeforeExact,
      ],
      expect: { equals: [2, 1, 0, 0] },
    },
    {
      id: 'survives',
      says: 'Both connections survive: the server then reads 5 bytes on each, still ESTABLISHED.',
      fact: 'dataAfterBlind',
      expect: { equals: ['5 bytes, ESTAB', '5 bytes, ESTAB'] },
    },
    {
      id: 'exact-resets',
      says: "A RST at exactly the next expected sequence number resets the connection: no answer, the server's read() fails with ECONNRESET, TcpEstabResets 1.",
      observe: (r) => [r.facts.exactRst, r.facts.exactRstErrno, r.facts.resetsAfterExact],
      expect: { equals: [[], 'ECONNRESET', 1] },
    },
  ],
});

/**
 * The server's segments to the port a crafted segment came from, until the client next sends on
 * that port: `flags ack=rcv_nxt` when the ACK number is the server's next expected byte (the
 * number the crafted segment should have carried), relative to it otherwise.
 */
function answers(packets: Packet[], sent: LabEvent): string[] {
  const port = Number(sent.sport);
  const flag = sent.action === 'syn' ? 'syn' : 'rst';
  const start = packets.findLastIndex(
    (p) => p.ip.src === CLIENT && p.tcp?.srcPort === port && p.tcp.seq === sent.seq && p.tcp[flag],
  );
  if (start < 0) return ['(crafted segment not captured)'];
  const next = packets.findIndex(
    (p, i) => i > start && p.ip.src === CLIENT && p.tcp?.srcPort === port,
  );
  return packets
    .slice(start + 1, next < 0 ? undefined : next)
    .filter((p) => p.ip.src === SERVER && p.tcp?.dstPort === port)
    .map((p) => {
      const off = (p.tcp!.ackNum - Number(sent.rcvNxt)) >>> 0;
      return `${p.tcp!.flags} ack=${off === 0 ? 'rcv_nxt' : `rcv_nxt+${off}`}`;
    });
}
