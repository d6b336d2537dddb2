import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';
import { segmentsAfterHandshake, stateWalk } from './_scenario.ts';

const PORT = 5060;

export default defineLab({
  title: 'Writing to a peer that has closed',
  verifies:
    "Verify: the server closes right after accept(); the client, in CLOSE-WAIT, writes 6 bytes: write() returns 6, the data leaves, the server answers RST; the client's next write() returns -1 EPIPE and raises SIGPIPE; send(..., MSG_NOSIGNAL) returns -1 EPIPE without the signal.",
  takeaway:
    'After the peer has closed, the first write() still succeeds and draws a RST; the next write() fails with EPIPE and raises SIGPIPE, unless it is a send() with MSG_NOSIGNAL.',
  probes: ['teardown/write-closed.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const srv = ctx.probe(server, 'teardown/write-closed.c', ['server', SERVER, PORT]);
    await srv.waitFor('listening');
    const cli = ctx.probe(client, 'teardown/write-closed.c', ['client', SERVER, PORT]);
    await cli.waitFor('done');
    const packets = await capture.stop();

    const write = (n: number) => cli.events.find((e) => e.event === 'write' && e.n === n);
    const reset = cli.events.find((e) => e.event === 'reset');
    const signals = cli.events.find((e) => e.event === 'signals');
    return {
      facts: {
        clientStateBeforeWrite: cli.events.find((e) => e.event === 'peer-closed')?.state,
        write1Ret: write(1)?.ret,
        write1Sigpipe: write(1)?.sigpipe,
        segments: segmentsAfterHandshake(packets, PORT),
        clientStateAfterRst: reset?.state,
        clientSoError: reset?.soError,
        write2Ret: write(2)?.ret,
        write2Errno: write(2)?.errno,
        write2Sigpipe: write(2)?.sigpipe,
        write3Ret: write(3)?.ret,
        write3Errno: write(3)?.errno,
        write3Sigpipe: write(3)?.sigpipe,
        signalName: signals?.name,
        sigpipeCount: signals?.sigpipe,
        clientWalk: stateWalk(cli),
      },
    };
  },
  claims: [
    {
      id: 'close-wait',
      says: 'The client sees the FIN first: its socket is in CLOSE-WAIT before it writes.',
      fact: 'clientStateBeforeWrite',
      expect: { equals: 'CLOSE-WAIT' },
    },
    {
      id: 'first-accepted',
      says: 'The first write() succeeds: it returns 6 and raises no signal.',
      observe: (r) => [r.facts.write1Ret, r.facts.write1Sigpipe],
      expect: { equals: [6, false] },
    },
    {
      id: 'rst',
      says: 'On the wire: server FIN, the 6 data bytes from the client (its ACK of the FIN may ride on them), and a bare RST from the server.',
      observe: (r) => (r.facts.segments as string[]).filter((s) => s !== 'client:.'),
      expect: { equals: ['server:F.', 'client:P.', 'server:R'] },
    },
    {
      id: 'reset-state',
      says: 'The RST closes the client socket (TCP_INFO state CLOSE) and leaves SO_ERROR = EPIPE.',
      observe: (r) => [r.facts.clientStateAfterRst, r.facts.clientSoError],
      expect: { equals: ['UNCONN', 'EPIPE'] },
      kernelNote:
        'tcp_reset() reports EPIPE for a socket in CLOSE-WAIT, ECONNRESET in most other states',
    },
    {
      id: 'second-epipe',
      says: 'The second write() fails with EPIPE and raises SIGPIPE.',
      observe: (r) => [r.facts.write2Ret, r.facts.write2Errno, r.facts.write2Sigpipe],
      expect: { equals: [-1, 'EPIPE', true] },
    },
    {
      id: 'nosignal',
      says: 'send() with MSG_NOSIGNAL fails with EPIPE too, but raises no signal.',
      observe: (r) => [r.facts.write3Ret, r.facts.write3Errno, r.facts.write3Sigpipe],
      expect: { equals: [-1, 'EPIPE', false] },
    },
    {
      id: 'signal-name',
      says: 'The signal is SIGPIPE, raised exactly once.',
      observe: (r) => [r.facts.signalName, r.facts.sigpipeCount],
      expect: { equals: ['SIGPIPE', 1] },
    },
  ],
});
