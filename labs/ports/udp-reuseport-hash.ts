import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { SERVER, portsPair, waitForCount } from './_scenario.ts';

const PORT = 5604;
const SOURCES = 16;
const PER_SOURCE = 3;

export default defineLab({
  title: 'A UDP SO_REUSEPORT group: one socket per flow',
  verifies:
    'Verify: with two UDP sockets in one SO_REUSEPORT group on 198.51.100.2:5604, datagrams from 16 source ports (3 each) are spread over both sockets, and the 3 datagrams of any one source port always land on the same socket.',
  takeaway:
    'A UDP SO_REUSEPORT group spreads senders over its sockets by a hash of the four-tuple, so all datagrams of one flow reach the same socket.',
  probes: ['ports/demux.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await portsPair(ctx);
    const sockets = [
      ctx.probe(server, 'ports/demux.c', ['udp-recv', SERVER, PORT, 'S1', 'reuseport']),
      ctx.probe(server, 'ports/demux.c', ['udp-recv', SERVER, PORT, 'S2', 'reuseport']),
    ];
    for (const s of sockets) await s.waitFor('bound');
    for (let i = 0; i < SOURCES; i++) {
      const sport = 42000 + i;
      const sender = ctx.probe(client, 'ports/demux.c', [
        'udp-send',
        sport,
        SERVER,
        PORT,
        PER_SOURCE,
        String(sport),
      ]);
      await sender.waitFor('sent');
    }
    const got = await waitForCount(sockets, 'got', SOURCES * PER_SOURCE);
    await capture.stop();
    const bySource = new Map<string, Set<string>>();
    for (const e of got) {
      const src = String(e.payload).split(' ')[0];
      if (!bySource.has(src)) bySource.set(src, new Set());
      bySource.get(src)!.add(String(e.name));
    }
    const share = (name: string) =>
      [...bySource.values()].filter((s) => s.size === 1 && s.has(name)).length;
    return {
      facts: {
        socketOfSource: Object.fromEntries(
          [...bySource].map(([src, names]) => [src, [...names].join('+')]),
        ),
        sourcesPerSocket: { S1: share('S1'), S2: share('S2') },
        sourcesSplitAcrossSockets: [...bySource.values()].filter((s) => s.size > 1).length,
        smallerShare: Math.min(share('S1'), share('S2')),
        received: got.length,
      },
    };
  },
  claims: [
    {
      id: 'sticky',
      says: "Every source port's datagrams all land on one socket: the choice hashes the four-tuple.",
      fact: 'sourcesSplitAcrossSockets',
      expect: { equals: 0 },
    },
    {
      id: 'spread',
      says: 'Both sockets receive datagrams: two senders to one port need not meet on one socket.',
      fact: 'smallerShare',
      expect: { atLeast: 1 },
    },
    {
      id: 'all',
      says: 'All 48 datagrams arrive, each exactly once.',
      fact: 'received',
      expect: { equals: SOURCES * PER_SOURCE },
    },
  ],
});
