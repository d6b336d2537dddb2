import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcpSockets } from '../_lib/observe.ts';
import { onPort, round3 } from '../_lib/packets.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { nextStep, stateWalk, waitForState } from './_scenario.ts';

const PORT = 5002;
/**
 * How long each probe may wait for the end of its walk. The lab decides when to stop waiting (see
 * goneWithinMs below); the probes return as soon as the state is seen, so this costs nothing.
 */
const PROBE_WAIT_MS = 300_000;

export default defineLab({
  title: 'LAST-ACK and a lost final ACK',
  verifies:
    "Verify: the client closes first; before the server closes, a blackhole route in the client drops whatever the client sends to the server, so the client's ACK of the server's FIN never leaves. The server stays in LAST-ACK (sock_diag, and ss with a retransmission timer) and retransmits its FIN; once the route is gone, the client's TIME-WAIT entry acknowledges the retransmitted FIN and the server's socket goes away.",
  takeaway:
    "The side that closes second waits in LAST-ACK until its FIN is acknowledged and retransmits the FIN when the ACK is lost; the peer's TIME-WAIT entry is there to acknowledge that retransmitted FIN.",
  probes: ['teardown/orderly-close.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const srv = ctx.probe(server, 'teardown/orderly-close.c', [
      'server',
      SERVER,
      PORT,
      'second',
      PROBE_WAIT_MS,
    ]);
    await srv.waitFor('listening');
    const cli = ctx.probe(client, 'teardown/orderly-close.c', [
      'client',
      SERVER,
      PORT,
      'first',
      PROBE_WAIT_MS,
    ]);
    await waitForState(cli, 'FIN-WAIT-2');
    await srv.waitFor('waiting');
    await client.run(['ip', 'route', 'add', 'blackhole', `${SERVER}/32`]);
    ctx.note(client, 'blackhole', { route: `${SERVER}/32` });
    await nextStep(srv);
    await waitForState(srv, 'LAST-ACK');
    await waitForState(cli, 'TIME-WAIT');
    const serverSs = (await tcpSockets(server)).find(
      (s) => s.local.endsWith(`:${PORT}`) && s.state !== 'LISTEN',
    );
    await client.run(['ip', 'route', 'del', 'blackhole', `${SERVER}/32`]);
    const removed = ctx.note(client, 'route-removed', { route: `${SERVER}/32` });
    // The FIN's retransmission timer backs off exponentially, so the next retransmission after
    // the route is gone can come about as long after it as the route was down. A slow machine
    // (ss and ip under emulation take seconds) keeps the route down longer: the wait scales with
    // that time instead of a fixed limit a loaded machine could run past.
    const closedAt = srv.events.find((e) => e.event === 'closed')?.t ?? removed.t;
    const goneWithinMs = 10_000 + Math.ceil(3 * (removed.t - closedAt) * 1000);
    const gone = await waitForState(srv, 'GONE', goneWithinMs);
    const packets = await capture.stop();

    const segs = onPort(packets, PORT)
      .filter((p) => !p.tcp.syn)
      .slice(1);
    const serverFins = segs.filter((p) => p.ip.src === SERVER && p.tcp.fin);
    const afterServerFin = segs.slice(segs.indexOf(serverFins[0]));
    const closed = srv.events.find((e) => e.event === 'closed');
    return {
      inherentWaitS: closed ? round3(gone.t - closed.t) : 0,
      facts: {
        serverWalk: stateWalk(srv),
        serverSsState: serverSs?.state,
        serverSsTimer: serverSs?.timer,
        serverFinTransmissions: serverFins.length,
        // From the server's first FIN on: its retransmissions, then the one ACK that left.
        segmentsFromServerFin: afterServerFin.map(
          (p) => `${p.ip.src === CLIENT ? 'client' : 'server'}:${p.tcp.flags}`,
        ),
        finalAckAfterS: round3(
          (afterServerFin.find((p) => p.ip.src === CLIENT)?.t ?? NaN) - (serverFins[0]?.t ?? NaN),
        ),
        lastAckLastedS: closed ? round3(gone.t - closed.t) : undefined,
        clientWalk: stateWalk(cli),
      },
    };
  },
  claims: [
    {
      id: 'last-ack',
      says: 'After its close() the server is in LAST-ACK: its FIN is sent and waits to be acknowledged (sock_diag).',
      observe: (r) => (r.facts.serverWalk as string[]).filter((s) => s !== 'ESTAB'),
      expect: { equals: ['CLOSE-WAIT', 'LAST-ACK', 'GONE'] },
    },
    {
      id: 'ss',
      says: 'ss shows it as LAST-ACK with the retransmission timer running.',
      observe: (r) => [
        r.facts.serverSsState,
        String(r.facts.serverSsTimer).startsWith('timer:(on,'),
      ],
      expect: { equals: ['LAST-ACK', true] },
    },
    {
      id: 'fin-again',
      says: 'With the ACK lost, the server sends its FIN again (at least once, by a loss probe or the retransmission timer).',
      fact: 'serverFinTransmissions',
      expect: { atLeast: 2 },
    },
    {
      id: 'time-wait-answers',
      says: "The client's TIME-WAIT entry acknowledges a retransmitted FIN, the one ACK of the server's FIN on the wire; then the server's socket is gone.",
      observe: (r) => {
        const s = r.facts.segmentsFromServerFin as string[];
        return [s.filter((x) => x === 'client:.').length, s.at(-1), s.indexOf('client:.') > 1];
      },
      expect: { equals: [1, 'client:.', true] },
    },
    {
      id: 'client-time-wait',
      says: 'The client, which closed first, walks FIN-WAIT-2 → TIME-WAIT as usual.',
      observe: (r) => (r.facts.clientWalk as string[]).filter((s) => s !== 'FIN-WAIT-1').slice(-2),
      expect: { equals: ['FIN-WAIT-2', 'TIME-WAIT'] },
    },
  ],
});
