import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcpSockets, type SsSocket } from '../_lib/observe.ts';
import { onPort } from '../_lib/packets.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { nextStep, round6, stateEvent, stateWalk, waitForState } from './_scenario.ts';

const LEAK = 5020;
const FIXED = 5021;
const SHUTDOWN = 5022;
const FIN_TIMEOUT_S = 2;

export default defineLab({
  title: 'CLOSE-WAIT that never ends',
  verifies: `Verify: the server reads EOF and never calls close(): its socket stays in CLOSE-WAIT while the client's closed socket sits in FIN-WAIT-2 for tcp_fin_timeout (${FIN_TIMEOUT_S} s) and vanishes without a packet; the server's late close() sends a FIN that the client answers with RST. Closing on EOF instead leaves TIME-WAIT on the client and nothing on the server. A client that only called shutdown(SHUT_WR) stays in FIN-WAIT-2 past tcp_fin_timeout.`,
  takeaway:
    "A socket stays in CLOSE-WAIT until its program calls close(), forever if it never does. tcp_fin_timeout limits only the other side's orphaned FIN-WAIT-2, not a socket that merely called shutdown() and not TIME-WAIT, and a close() that comes too late is answered with RST.",
  probes: ['teardown/close-wait.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx, {
      client: { 'net.ipv4.tcp_fin_timeout': String(FIN_TIMEOUT_S) },
    });
    const leakServer = ctx.probe(server, 'teardown/close-wait.c', ['server', SERVER, LEAK, 'leak']);
    const fixedServer = ctx.probe(server, 'teardown/close-wait.c', [
      'server',
      SERVER,
      FIXED,
      'close',
    ]);
    const shutdownServer = ctx.probe(server, 'teardown/close-wait.c', [
      'server',
      SERVER,
      SHUTDOWN,
      'leak',
    ]);
    await Promise.all([leakServer, fixedServer, shutdownServer].map((p) => p.waitFor('listening')));
    // The shutdown-only client goes first, so its FIN is older than the orphan's when both are read.
    const shutdownClient = ctx.probe(client, 'teardown/close-wait.c', [
      'client',
      SERVER,
      SHUTDOWN,
      'shutdown',
    ]);
    await waitForState(shutdownClient, 'FIN-WAIT-2');
    const leakClient = ctx.probe(client, 'teardown/close-wait.c', [
      'client',
      SERVER,
      LEAK,
      'close',
    ]);
    const fixedClient = ctx.probe(client, 'teardown/close-wait.c', [
      'client',
      SERVER,
      FIXED,
      'close',
    ]);

    await waitForState(fixedClient, 'TIME-WAIT');
    await leakServer.waitFor('waiting');
    // The leaked connection's client side expires on its own: that is the wait of this lab.
    await waitForState(leakClient, 'GONE', (FIN_TIMEOUT_S + 5) * 1000);
    const clientSs = await tcpSockets(client);
    const serverSs = await tcpSockets(server);
    await nextStep(leakServer);
    await waitForState(leakServer, 'GONE', 5000);
    await nextStep(shutdownClient);
    const still = await shutdownClient.waitFor('still');
    const packets = await capture.stop();

    const leakPackets = onPort(packets, LEAK)
      .filter((p) => !p.tcp.syn)
      .slice(1);
    const finWait2 = stateEvent(leakClient, 'FIN-WAIT-2');
    const gone = stateEvent(leakClient, 'GONE');
    const label = (p: (typeof leakPackets)[number]) =>
      `${p.ip.src === CLIENT ? 'client' : 'server'}:${p.tcp.flags}`;
    const ackOfFin = leakPackets.findIndex((p) => p.ip.src === SERVER && p.tcp.flags === '.');
    const lateFin = leakPackets.findIndex((p) => p.ip.src === SERVER && p.tcp.flags === 'F.');
    return {
      inherentWaitS: FIN_TIMEOUT_S,
      facts: {
        leakServerEofState: leakServer.events.find((e) => e.event === 'eof')?.state,
        leakClientWalk: stateWalk(leakClient),
        leakClientFinWait2TimerS: finWait2 ? Number(finWait2.expiresMs) / 1000 : undefined,
        leakClientFinWait2LifetimeS: finWait2 && gone ? round6(gone.t - finWait2.t) : undefined,
        leakPacketsWhileWaiting:
          lateFin > ackOfFin && ackOfFin >= 0 ? lateFin - ackOfFin - 1 : undefined,
        leakClientSsAfter: row(clientSs, LEAK)?.state ?? 'none',
        leakServerSsAfter: row(serverSs, LEAK)?.state ?? 'none',
        leakServerWalk: stateWalk(leakServer),
        leakSegments: leakPackets.map(label),
        leakLastSegments: leakPackets.slice(-2).map(label),
        fixedClientSsAfter: row(clientSs, FIXED)?.state ?? 'none',
        fixedServerSsAfter: row(serverSs, FIXED)?.state ?? 'none',
        fixedServerEofState: fixedServer.events.find((e) => e.event === 'eof')?.state,
        fixedServerWalk: stateWalk(fixedServer),
        fixedSegments: onPort(packets, FIXED)
          .filter((p) => !p.tcp.syn)
          .slice(1)
          .map(label),
        fixedClientWalk: stateWalk(fixedClient),
        fixedClientTimeWaitS: Number(stateEvent(fixedClient, 'TIME-WAIT')?.expiresMs) / 1000,
        shutdownClientSsAfter: row(clientSs, SHUTDOWN)?.state ?? 'none',
        shutdownClientTimer: row(clientSs, SHUTDOWN)?.timer ?? 'none',
        shutdownServerSsAfter: row(serverSs, SHUTDOWN)?.state ?? 'none',
        shutdownClientState: still.state,
        shutdownClientSinceFinS: still.sinceFinS,
        // Every timer the watcher saw on the shutdown-only socket in FIN-WAIT-2.
        shutdownClientWatcherTimers: [
          ...new Set(
            shutdownClient.events
              .filter((e) => e.event === 'state' && e.state === 'FIN-WAIT-2')
              .map((e) => e.timer),
          ),
        ],
        leakClientGoneBeforeShutdownReport: gone !== undefined && gone.t < still.t,
      },
    };
  },
  claims: [
    {
      id: 'eof-close-wait',
      says: 'The server reads 0 (EOF) and its socket is in CLOSE-WAIT (TCP_INFO).',
      fact: 'leakServerEofState',
      expect: { equals: 'CLOSE-WAIT' },
    },
    {
      id: 'fin-wait-2-timer',
      says: `The client's closed socket waits in FIN-WAIT-2 with a timer of tcp_fin_timeout (${FIN_TIMEOUT_S} s).`,
      fact: 'leakClientFinWait2TimerS',
      expect: { between: [FIN_TIMEOUT_S - 0.2, FIN_TIMEOUT_S] },
    },
    {
      id: 'fin-wait-2-ends',
      says: `After about tcp_fin_timeout the client's FIN-WAIT-2 socket is gone.`,
      fact: 'leakClientFinWait2LifetimeS',
      expect: { between: [FIN_TIMEOUT_S - 0.3, FIN_TIMEOUT_S + 0.6] },
      kernelNote: 'timer granularity: HZ ticks plus the timewait wheel',
    },
    {
      id: 'silent-expiry',
      says: 'The FIN-WAIT-2 timeout sends nothing on the wire: no packet between the ACK of the FIN and the late close.',
      fact: 'leakPacketsWhileWaiting',
      expect: { equals: 0 },
    },
    {
      id: 'close-wait-stays',
      says: 'When the client has forgotten the connection, ss still shows the server socket in CLOSE-WAIT.',
      observe: (r) => [r.facts.leakClientSsAfter, r.facts.leakServerSsAfter],
      expect: { equals: ['none', 'CLOSE-WAIT'] },
    },
    {
      id: 'late-close-rst',
      says: "The server's late close() sends FIN; the client has no socket for it and answers RST.",
      fact: 'leakLastSegments',
      expect: { equals: ['server:F.', 'client:R'] },
    },
    {
      id: 'fix-time-wait',
      says: 'Closing on EOF (the fix): the server keeps no socket and TIME-WAIT sits on the client.',
      observe: (r) => [r.facts.fixedClientSsAfter, r.facts.fixedServerSsAfter],
      expect: { equals: ['TIME-WAIT', 'none'] },
    },
    {
      id: 'time-wait-unchanged',
      says: `tcp_fin_timeout does not shorten TIME-WAIT: at ${FIN_TIMEOUT_S} s, the fixed connection's TIME-WAIT timer still starts at 60 s.`,
      fact: 'fixedClientTimeWaitS',
      expect: { between: [55, 60] },
    },
    {
      id: 'shutdown-no-timeout',
      says: `A client that only called shutdown(SHUT_WR) has no timer in FIN-WAIT-2 (ss shows none, sock_diag "off" throughout): tcp_fin_timeout applies to orphaned sockets only.`,
      observe: (r) => [
        r.facts.shutdownClientState,
        r.facts.shutdownClientTimer,
        r.facts.shutdownClientWatcherTimers,
      ],
      expect: { equals: ['FIN-WAIT-2', 'none', ['off']] },
    },
    {
      id: 'shutdown-outlives-orphan',
      says: 'It was still in FIN-WAIT-2 after the orphan next to it, which sent its FIN later, had timed out.',
      observe: (r) => [r.facts.shutdownClientState, r.facts.leakClientGoneBeforeShutdownReport],
      expect: { equals: ['FIN-WAIT-2', true] },
    },
  ],
});

function row(sockets: SsSocket[], port: number): SsSocket | undefined {
  return sockets.find(
    (s) => s.state !== 'LISTEN' && (s.local.endsWith(`:${port}`) || s.peer.endsWith(`:${port}`)),
  );
}
