import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { parseSs } from '../_lib/observe.ts';
import { SERVER, portsPair, waitForCount } from './_scenario.ts';

const PORT = 5601;

export default defineLab({
  title: 'Two UDP senders, one receiving socket',
  verifies:
    'Verify: datagrams from two different source ports to one UDP port where a single unconnected socket is bound both land on that socket; recvfrom() reports a different source for each, and ss shows one socket with no peer.',
  takeaway:
    'One unconnected UDP socket receives the datagrams of every sender to its port; each datagram brings its source address, which recvfrom() returns.',
  probes: ['ports/demux.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await portsPair(ctx);
    const receiver = ctx.probe(server, 'ports/demux.c', [
      'udp-recv',
      '0.0.0.0',
      PORT,
      'only',
      'plain',
    ]);
    await receiver.waitFor('bound');
    const a = ctx.probe(client, 'ports/demux.c', [
      'udp-send',
      41001,
      SERVER,
      PORT,
      1,
      'from-41001',
    ]);
    await a.waitFor('sent');
    const b = ctx.probe(client, 'ports/demux.c', [
      'udp-send',
      41002,
      SERVER,
      PORT,
      1,
      'from-41002',
    ]);
    await b.waitFor('sent');
    const got = await waitForCount([receiver], 'got', 2);
    const ss = parseSs(await server.run(['ss', '-H', '-u', '-a', '-n']));
    await capture.stop();
    return {
      facts: {
        deliveries: got.map((e) => `${e.payload} → ${e.name} (from ${e.from})`),
        receivingSockets: [...new Set(got.map((e) => e.name))],
        distinctSources: new Set(got.map((e) => e.from)).size,
        ss: ss.map((s) => `${s.state} ${s.local} ${s.peer}`),
      },
    };
  },
  claims: [
    {
      id: 'one-socket',
      says: 'Both datagrams are read from the same socket.',
      fact: 'receivingSockets',
      expect: { equals: ['only'] },
    },
    {
      id: 'two-sources',
      says: 'recvfrom() names two different sources: the socket holds no peer, each datagram carries its own.',
      fact: 'distinctSources',
      expect: { equals: 2 },
    },
    {
      id: 'ss',
      says: 'ss shows one UDP socket on the port, UNCONN, peer 0.0.0.0:*.',
      fact: 'ss',
      expect: { equals: [`UNCONN 0.0.0.0:${PORT} 0.0.0.0:*`] },
    },
  ],
});
