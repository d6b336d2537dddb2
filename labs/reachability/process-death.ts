import { defineLab } from '../_lib/define.ts';
import { counters } from '../_lib/observe.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';
import type { LabContext, Packet } from '../_lib/types.ts';

const PORT = 5707;

export default defineLab({
  title: 'A peer process that dies: FIN or RST at once',
  verifies:
    "Verify: when the server process is killed with SIGKILL, its kernel closes its sockets at once: a connection with nothing unread gets a FIN, and the client's recv() returns 0 (end of file, as for a normal close); a connection whose request was never read gets a RST, and recv() fails with ECONNRESET. A write on the first one is accepted locally, answered with RST by the dead process's orphaned socket, and the next write fails with EPIPE.",
  takeaway:
    'When a peer process dies, its kernel closes its sockets at once: the other side reads end-of-file, or gets ECONNRESET if the dead process left input unread. A later write draws a RST, and the write after it fails with EPIPE.',
  probes: ['reachability/peer-death.c', 'probes/tcp-server.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const listener = ctx.probe(server, 'probes/tcp-server.c', [SERVER, PORT, 8, 'accept']);
    await listener.waitFor('listening');
    const before = await counters(server);
    const c = ctx.probe(client, 'reachability/peer-death.c', [SERVER, PORT]);
    await c.waitFor('ready');
    // Both connections accepted: the process holds them, as a server that is busy elsewhere.
    let accepted = 0;
    await listener.waitFor((e) => e.event === 'accepted' && ++accepted === 2, 5000);
    // The server process dies: nothing runs its close() or shutdown(); its kernel cleans up.
    const kill = ctx.note(server, 'SIGKILL', { probe: 'tcp-server' });
    await listener.stop('SIGKILL');
    const recvIdle = await c.waitFor((e) => e.event === 'recv' && e.which === 'idle', 5000);
    const recvAsking = await c.waitFor((e) => e.event === 'recv' && e.which === 'asking', 5000);
    const write2 = await c.waitFor((e) => e.event === 'write' && e.n === 2, 8000);
    const write1 = c.events.find((e) => e.event === 'write' && e.n === 1)!;
    const packets = await capture.stop();
    const after = await counters(server);

    const port = (which: string) =>
      c.events.find((e) => e.event === 'connected' && e.which === which)?.sport;
    const fromServer = (sport: unknown) => (p: Packet) =>
      p.ip.src === SERVER && p.tcp?.dstPort === sport;
    const idlePort = port('idle');
    const askingPort = port('asking');
    // What the server's kernel sent on each connection after the handshake and the request's ACK.
    const closing = (sport: unknown) =>
      packets.find((p) => fromServer(sport)(p) && (p.tcp!.fin || p.tcp!.rst))?.tcp!.flags;
    const afterWrite = packets.filter((p) => fromServer(idlePort)(p) && p.tcp!.rst);
    return {
      facts: {
        idleServerSent: closing(idlePort),
        idleRecv: recvIdle.ret,
        idleState: recvIdle.state,
        idleRecvAfterKillMs: Math.round((recvIdle.t - kill.t) * 1e4) / 10,
        askingServerSent: closing(askingPort),
        askingRecv: recvAsking.errno,
        resetMessage: recvAsking.message,
        askingRecvAfterKillMs: Math.round((recvAsking.t - kill.t) * 1e4) / 10,
        abortOnClose: after.TcpExtTCPAbortOnClose - before.TcpExtTCPAbortOnClose,
        firstWrite: write1.ret,
        orphanAnswer: afterWrite.map((p) => p.tcp!.flags),
        orphanAnswerIpId: afterWrite[0]?.ip.id,
        secondWrite: write2.errno,
      },
    };
  },
  claims: [
    {
      id: 'fin',
      says: "The idle connection gets a FIN from the dead process's kernel ...",
      fact: 'idleServerSent',
      expect: { equals: 'F.' },
    },
    {
      id: 'eof',
      says: '... and recv() returns 0, end of file: exactly what a normal close() looks like.',
      observe: (r) => [r.facts.idleRecv, r.facts.idleState],
      expect: { equals: [0, 'CLOSE-WAIT'] },
    },
    {
      id: 'rst',
      says: 'The connection whose request was never read gets a RST instead (RFC 2525 §2.17) ...',
      fact: 'askingServerSent',
      expect: { equals: 'R.' },
    },
    {
      id: 'econnreset',
      says: '... and recv() fails with ECONNRESET.',
      fact: 'askingRecv',
      expect: { equals: 'ECONNRESET' },
    },
    {
      id: 'abort-on-close',
      says: 'The server counts that reset as TcpExtTCPAbortOnClose: data thrown away at close.',
      fact: 'abortOnClose',
      expect: { equals: 1 },
    },
    {
      id: 'at-once',
      says: 'Both arrive within milliseconds of the kill: no timer, no keepalive involved.',
      observe: (r) => Math.max(r.facts.idleRecvAfterKillMs, r.facts.askingRecvAfterKillMs),
      expect: { atMost: 500 },
      cost: true,
    },
    {
      id: 'write-accepted',
      says: 'A write on the end-of-file connection still succeeds: it only reaches the send buffer ...',
      fact: 'firstWrite',
      expect: { equals: 4 },
    },
    {
      id: 'orphan-rst',
      says: "... the dead process's leftover socket answers it with a RST ...",
      fact: 'orphanAnswer',
      expect: { equals: ['R'] },
    },
    {
      id: 'epipe',
      says: '... and the next write fails with EPIPE.',
      fact: 'secondWrite',
      expect: { equals: 'EPIPE' },
    },
  ],
});
