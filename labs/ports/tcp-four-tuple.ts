import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcpSockets } from '../_lib/observe.ts';
import { CLIENT, SERVER, portsPair, waitForCount } from './_scenario.ts';

const PORT = 5600;

export default defineLab({
  title: 'Two TCP connections on one server port',
  verifies:
    "Verify: two connections to one listening port give the server two accepted sockets with the same local address and port as each other and the listener's port; the kernel tells them apart by the peer's port, and each receives exactly the bytes its own client wrote.",
  takeaway:
    "Accepted TCP connections all use the listener's port: the kernel tells them apart by the full four-tuple, and each socket receives only its own peer's bytes.",
  probes: ['ports/demux.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await portsPair(ctx);
    const listener = ctx.probe(server, 'ports/demux.c', [
      'tcp-server',
      '0.0.0.0',
      PORT,
      'listener',
      'plain',
    ]);
    await listener.waitFor('listening');
    const clients = ctx.probe(client, 'ports/demux.c', ['tcp-clients', SERVER, PORT, 2]);
    await clients.waitFor('done');
    const accepted = await waitForCount([listener], 'accepted', 2);
    const sockets = await tcpSockets(server);
    const packets = await capture.stop();
    const listen = sockets.find((s) => s.state === 'LISTEN');
    const workers = sockets.filter((s) => s.state === 'ESTAB');
    return {
      facts: {
        ss: sockets.map((s) => `${s.state} ${s.local} ${s.peer}`),
        listener: listen && `${listen.state} ${listen.local} ${listen.peer}`,
        workerLocals: workers.map((s) => s.local),
        workerPeers: workers.map((s) => s.peer).sort(),
        distinctPeerPorts: new Set(workers.map((s) => s.peer.split(':')[1])).size,
        clientSourcePorts: clients.events
          .filter((e) => e.event === 'connected')
          .map((e) => e.sport),
        got: accepted.map((e) => `${e.peer} read "${e.got}"`),
        eachGotOwnBytes: accepted.every(
          (e) =>
            String(e.got).endsWith(`sport=${String(e.peer).split(':')[1]}`) &&
            String(e.peer).startsWith(CLIENT),
        ),
        synDestinationPorts: packets
          .filter((p) => p.tcp?.syn && !p.tcp.ack)
          .map((p) => p.tcp!.dstPort),
      },
    };
  },
  claims: [
    {
      id: 'listener',
      says: 'ss lists the listener with a wildcard address: 0.0.0.0:5600, peer *.',
      fact: 'listener',
      expect: { equals: 'LISTEN 0.0.0.0:5600 0.0.0.0:*' },
    },
    {
      id: 'same-local',
      says: "Both accepted sockets have the same local address and port, the listener's port (no new port per connection).",
      fact: 'workerLocals',
      expect: { equals: [`${SERVER}:${PORT}`, `${SERVER}:${PORT}`] },
    },
    {
      id: 'peers-differ',
      says: 'They differ only in the peer port: two client source ports.',
      fact: 'distinctPeerPorts',
      expect: { equals: 2 },
    },
    {
      id: 'own-bytes',
      says: "Each accepted socket reads the message its own client wrote (the source port inside the message matches the socket's peer port).",
      fact: 'eachGotOwnBytes',
      expect: { equals: true },
    },
  ],
});
