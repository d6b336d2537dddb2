import { defineLab } from '../_lib/define.ts';
import type { LabContext, Packet } from '../_lib/types.ts';
import { tcpSockets } from '../_lib/observe.ts';
import { onPort } from '../_lib/packets.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { nextStep, stateWalk } from './_scenario.ts';

const PORT = 5070;
const LINGER_S = 1;

/** The sequence number a FIN occupies (relative): after the segment's payload. */
const finSeq = (p: Packet) => p.tcp!.relSeq + p.tcp!.payloadLength;

export default defineLab({
  title: 'SO_LINGER {on, 1 s}: close() that blocks',
  verifies: `Verify: the server stops reading, the client fills the connection, sets SO_LINGER {1, ${LINGER_S}} and calls close(): close() blocks for about ${LINGER_S} s in FIN-WAIT-1, then returns 0 with data still unsent; when the server reads again it receives every byte, then end of file, and the client ends in TIME-WAIT.`,
  takeaway:
    'With SO_LINGER {on, N > 0}, close() blocks until the data is acknowledged or the linger time runs out, then returns 0 without discarding anything: the kernel goes on sending the data and ends with a FIN.',
  probes: ['teardown/linger.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const srv = ctx.probe(server, 'teardown/linger.c', ['server', SERVER, PORT]);
    await srv.waitFor('listening');
    const cli = ctx.probe(client, 'teardown/linger.c', ['client', SERVER, PORT, LINGER_S]);
    await srv.waitFor('accepted');
    const filled = await cli.waitFor('filled');
    await nextStep(cli);
    const closing = await cli.waitFor('closing');
    const closed = await cli.waitFor('closed', (LINGER_S + 10) * 1000);
    const clientSs = await tcpSockets(client);
    await nextStep(srv);
    const read = await srv.waitFor('read', 60_000);
    await cli.waitFor('done', 60_000);
    const packets = await capture.stop();

    const fromClient = onPort(packets, PORT).filter((p) => p.ip.src === CLIENT);
    const fin = fromClient.find((p) => p.tcp.fin);
    const lastDataEnd = Math.max(
      ...fromClient
        .filter((p) => p.tcp.payloadLength > 0)
        .map((p) => p.tcp.relSeq + p.tcp.payloadLength),
    );
    const row = clientSs.find((s) => s.peer.endsWith(`:${PORT}`));
    // States the watcher saw between the call to close() and its return, timer changes merged.
    const whileBlocked = [
      ...new Set(
        cli.events
          .filter((e) => e.event === 'state' && e.t >= closing.t && e.t <= closed.t)
          .map((e) => e.state),
      ),
    ];
    return {
      inherentWaitS: LINGER_S,
      facts: {
        clientWrote: filled.bytes,
        clientSendQBeforeClose: filled.sendQ,
        closeBlockedS: closed.blockedS,
        closeRet: closed.ret,
        closeErrno: closed.errno,
        stateWhileBlocked: whileBlocked.length === 1 ? whileBlocked[0] : whileBlocked,
        stateAfterClose: closed.state,
        ssAfterClose: row?.state,
        ssSendQAfterClose: row?.sendQ,
        ssTimerAfterClose: row?.timer,
        serverBytes: read.bytes,
        serverReadRet: read.ret,
        // Distinct FINs, by sequence number: a retransmission of the same FIN is not a second
        // FIN. Under emulation the server's ACKs can lag past the tail loss probe's timeout
        // (about 2×RTT + 8 ms on a veth), which resends the last segment with its FIN.
        clientFins: new Set(fromClient.filter((p) => p.tcp.fin).map((p) => finSeq(p))).size,
        clientFinTransmissions: fromClient.filter((p) => p.tcp.fin).length,
        clientRsts: fromClient.filter((p) => p.tcp.rst).length,
        finAfterAllData:
          fin !== undefined && fin.tcp.relSeq + fin.tcp.payloadLength === lastDataEnd,
        clientWalk: stateWalk(cli),
      },
    };
  },
  claims: [
    {
      id: 'blocks',
      says: `close() blocks for the linger time, ${LINGER_S} s, because the data is not acknowledged.`,
      fact: 'closeBlockedS',
      expect: { between: [LINGER_S - 0.05, LINGER_S + 0.5] },
    },
    {
      id: 'returns-0',
      says: 'When the linger time runs out, close() returns 0: Linux reports no error.',
      observe: (r) => [r.facts.closeRet, r.facts.closeErrno],
      expect: { equals: [0, ''] },
      kernelNote:
        'POSIX leaves this open; BSD-derived stacks return EWOULDBLOCK on a non-blocking socket',
    },
    {
      id: 'fin-wait-1-during',
      says: 'While close() blocks, the socket is in FIN-WAIT-1 (sock_diag).',
      fact: 'stateWhileBlocked',
      expect: { equals: 'FIN-WAIT-1' },
    },
    {
      id: 'still-queued',
      says: 'After close() returns, the orphaned socket is still FIN-WAIT-1 with bytes queued (ss Send-Q > 0).',
      observe: (r) => [r.facts.ssAfterClose, (r.facts.ssSendQAfterClose as number) > 0],
      expect: { equals: ['FIN-WAIT-1', true] },
    },
    {
      id: 'delivered',
      says: 'Nothing is discarded: the server reads every byte the client wrote, then 0.',
      observe: (r) => [r.facts.serverBytes === r.facts.clientWrote, r.facts.serverReadRet],
      expect: { equals: [true, 0] },
    },
    {
      id: 'fin-last',
      says: 'The client sends one FIN (no RST), after its last data byte (FINs counted by sequence number; a retransmission of it, clientFinTransmissions, is the same FIN).',
      observe: (r) => [r.facts.clientFins, r.facts.clientRsts, r.facts.finAfterAllData],
      expect: { equals: [1, 0, true] },
    },
    {
      id: 'time-wait',
      says: 'The client ends in TIME-WAIT like any orderly close.',
      observe: (r) => (r.facts.clientWalk as string[]).at(-1),
      expect: { equals: 'TIME-WAIT' },
    },
  ],
});
