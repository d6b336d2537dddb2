import { defineLab } from '../_lib/define.ts';
import type { Host, LabContext, Packet } from '../_lib/types.ts';
import { tcpSockets } from '../_lib/observe.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { nextStep, stateWalk, waitForState } from './_scenario.ts';

const PORT = 5085;

export default defineLab({
  title: 'A RST ends TIME-WAIT, unless tcp_rfc1337 = 1',
  verifies:
    "Verify: the client closes first and holds the connection in TIME-WAIT; a RST from the server's address and port at exactly the sequence number TIME-WAIT expects removes it at once with the default tcp_rfc1337 = 0, so a copy of the server's FIN that follows is answered by RST. With tcp_rfc1337 = 1 the RST is ignored: the TIME-WAIT entry stays and acknowledges the FIN again.",
  takeaway:
    "By default a RST that matches a TIME-WAIT entry removes it at once; with tcp_rfc1337 = 1 TIME-WAIT ignores the RST and keeps acknowledging the peer's FIN.",
  probes: ['teardown/time-wait-rst.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const round = async (port: number, rfc1337: '0' | '1') => {
      const setting = await client.sysctl('net.ipv4.tcp_rfc1337', rfc1337);
      const srv = ctx.probe(server, 'teardown/time-wait-rst.c', ['server', SERVER, port]);
      await srv.waitFor('listening');
      const cli = ctx.probe(client, 'teardown/time-wait-rst.c', ['client', SERVER, port]);
      await cli.waitFor('time-wait');
      await srv.waitFor('closed');
      const before = await row(client, port);
      await nextStep(srv);
      const again = await srv.waitFor((e) => e.event === 'sent' && e.what === 'FIN again');
      // Whatever answers the FIN copy (an ACK from TIME-WAIT, or a RST from a host with no
      // socket) comes after the RST was handled.
      const finFromServer = (p: Packet) =>
        p.ip.src === SERVER && p.tcp?.srcPort === port && p.tcp.fin && p.tcp.seq === again.seq;
      const original = await capture.waitForPacket(finFromServer);
      const copy = await capture.waitForPacket((p) => p.n > original.n && finFromServer(p));
      const answer = await capture.waitForPacket(
        (p) => p.n > copy.n && p.ip.src === CLIENT && p.tcp?.dstPort === port,
      );
      if (rfc1337 === '0') await waitForState(cli, 'GONE', 5000);
      const after = await row(client, port);
      await nextStep(cli);
      await cli.waitFor('done');
      return {
        setting,
        before: before?.state ?? 'none',
        answerToFin: answer.tcp!.flags,
        after: after?.state ?? 'none',
        walk: stateWalk(cli),
      };
    };
    const assassinated = await round(PORT, '0');
    const protectedTw = await round(PORT + 1, '1');
    await capture.stop();
    return {
      facts: {
        rfc1337Off: assassinated.setting,
        offBefore: assassinated.before,
        offAnswerToFin: assassinated.answerToFin,
        offAfter: assassinated.after,
        offWalk: assassinated.walk,
        rfc1337On: protectedTw.setting,
        onBefore: protectedTw.before,
        onAnswerToFin: protectedTw.answerToFin,
        onAfter: protectedTw.after,
        onWalk: protectedTw.walk,
      },
    };
  },
  claims: [
    {
      id: 'time-wait-first',
      says: 'Before the RST, ss shows the client end in TIME-WAIT in both rounds.',
      observe: (r) => [r.facts.offBefore, r.facts.onBefore],
      expect: { equals: ['TIME-WAIT', 'TIME-WAIT'] },
    },
    {
      id: 'assassinated',
      says: 'With tcp_rfc1337 = 0 (the default), the RST removes the TIME-WAIT entry at once (sock_diag, then ss)…',
      observe: (r) => [(r.facts.offWalk as string[]).at(-1), r.facts.offAfter],
      expect: { equals: ['GONE', 'none'] },
    },
    {
      id: 'assassinated-answer',
      says: '…so the copy of the FIN that follows finds no socket and is answered by RST.',
      fact: 'offAnswerToFin',
      expect: { equals: 'R' },
    },
    {
      id: 'protected',
      says: 'With tcp_rfc1337 = 1 the RST is ignored: the TIME-WAIT entry stays…',
      observe: (r) => [(r.facts.onWalk as string[]).at(-1), r.facts.onAfter],
      expect: { equals: ['TIME-WAIT', 'TIME-WAIT'] },
    },
    {
      id: 'protected-answer',
      says: '…and acknowledges the FIN again, as TIME-WAIT exists to do.',
      fact: 'onAnswerToFin',
      expect: { equals: '.' },
    },
  ],
});

async function row(host: Host, port: number) {
  return (await tcpSockets(host)).find((s) => s.peer.endsWith(`:${port}`));
}
