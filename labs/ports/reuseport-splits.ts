import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcpSockets } from '../_lib/observe.ts';
import { SERVER, portsPair, waitForCount } from './_scenario.ts';

const PORT = 5603;
const CONNECTIONS = 16;

export default defineLab({
  title: 'SO_REUSEPORT splits one port across listeners',
  verifies:
    'Verify: two sockets with SO_REUSEPORT both bind and listen on 198.51.100.2:5603; 16 connections are spread across both by a hash of the four-tuple, each landing on exactly one; a third socket without SO_REUSEPORT cannot bind the port (EADDRINUSE).',
  takeaway:
    'Sockets that all set SO_REUSEPORT can listen on the same address and port, and each new connection goes to exactly one of them; a socket without the option cannot bind that port (EADDRINUSE).',
  probes: ['ports/demux.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await portsPair(ctx);
    const l1 = ctx.probe(server, 'ports/demux.c', ['tcp-server', SERVER, PORT, 'L1', 'reuseport']);
    await l1.waitFor('listening');
    const l2 = ctx.probe(server, 'ports/demux.c', ['tcp-server', SERVER, PORT, 'L2', 'reuseport']);
    await l2.waitFor('listening');
    const plain = ctx.probe(server, 'ports/demux.c', ['tcp-server', SERVER, PORT, 'L3', 'plain']);
    const refused = await plain.waitFor('bind-failed');
    const clients = ctx.probe(client, 'ports/demux.c', ['tcp-clients', SERVER, PORT, CONNECTIONS]);
    await clients.waitFor('done');
    const accepted = await waitForCount([l1, l2], 'accepted', CONNECTIONS);
    const sockets = await tcpSockets(server);
    await capture.stop();
    const share = (name: string) => accepted.filter((e) => e.name === name).length;
    return {
      facts: {
        listeners: sockets.filter((s) => s.state === 'LISTEN').map((s) => s.local),
        shares: { L1: share('L1'), L2: share('L2') },
        acceptedTotal: new Set(accepted.map((e) => e.peer)).size,
        smallerShare: Math.min(share('L1'), share('L2')),
        plainBind: `${refused.errno} ${refused.message}`,
      },
    };
  },
  claims: [
    {
      id: 'two-listeners',
      says: 'ss lists two LISTEN sockets on the same address and port.',
      fact: 'listeners',
      expect: { equals: [`${SERVER}:${PORT}`, `${SERVER}:${PORT}`] },
    },
    {
      id: 'all-accepted-once',
      says: 'All 16 connections are accepted, each by exactly one listener.',
      fact: 'acceptedTotal',
      expect: { equals: CONNECTIONS },
    },
    {
      id: 'split',
      says: 'Both listeners get a share (the chance that a fair hash puts all 16 on one is 1 in 32768).',
      fact: 'smallerShare',
      expect: { atLeast: 1 },
    },
    {
      id: 'plain-refused',
      says: 'A third socket without SO_REUSEPORT fails to bind with EADDRINUSE ("Address already in use").',
      fact: 'plainBind',
      expect: { equals: 'EADDRINUSE Address already in use' },
    },
  ],
});
