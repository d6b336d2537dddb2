import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { parseSs } from '../_lib/observe.ts';
import { CLIENT, SERVER, SERVER_2, portsPair, waitForCount } from './_scenario.ts';

const PORT = 5602;

export default defineLab({
  title: 'UDP picks the most specific socket, four-tuple included',
  verifies:
    'Verify: with three UDP sockets on one port — wildcard 0.0.0.0, bound to 198.51.100.2, and bound to 198.51.100.2 and connected to 198.51.100.1:41001 — a datagram from 41001 to .2 goes to the connected socket, one from 41002 to .2 to the address-bound socket, and one from 41002 to .3 to the wildcard socket: the source address and port take part in UDP demultiplexing too.',
  takeaway:
    'UDP delivers each datagram to the most specific matching socket: one connected to the sender beats one bound to the destination address, which beats a wildcard, so the source does take part in the choice.',
  probes: ['ports/demux.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await portsPair(ctx, { secondServerAddress: true });
    const sockets = [
      ctx.probe(server, 'ports/demux.c', ['udp-recv', '0.0.0.0', PORT, 'wildcard', 'plain']),
      ctx.probe(server, 'ports/demux.c', ['udp-recv', SERVER, PORT, 'specific', 'plain']),
      ctx.probe(server, 'ports/demux.c', [
        'udp-recv',
        SERVER,
        PORT,
        'connected',
        'plain',
        CLIENT,
        41001,
      ]),
    ];
    for (const s of sockets) await s.waitFor('bound');
    const sends: Array<[number, string, string]> = [
      [41001, SERVER, '41001>.2'],
      [41002, SERVER, '41002>.2'],
      [41002, SERVER_2, '41002>.3'],
    ];
    for (const [sport, dst, tag] of sends) {
      // One sender at a time, each from its own socket (41002 is bound twice, one after the other).
      const sender = ctx.probe(client, 'ports/demux.c', ['udp-send', sport, dst, PORT, 1, tag]);
      await sender.waitFor('sent');
      await sender.stop();
    }
    const got = await waitForCount(sockets, 'got', sends.length);
    const ss = parseSs(await server.run(['ss', '-H', '-u', '-a', '-n']));
    await capture.stop();
    return {
      facts: {
        route: Object.fromEntries(got.map((e) => [String(e.payload).split(' ')[0], e.name])),
        deliveries: got.map((e) => `${e.payload} → ${e.name} (from ${e.from})`),
        ss: ss.map((s) => `${s.state} ${s.local} ${s.peer}`).sort(),
      },
    };
  },
  claims: [
    {
      id: 'connected-wins',
      says: 'From 198.51.100.1:41001 to .2: the connected socket, whose four-tuple matches exactly.',
      observe: (r) => (r.facts.route as Record<string, string>)['41001>.2'],
      expect: { equals: 'connected' },
    },
    {
      id: 'specific-wins',
      says: 'From 41002 to .2: the socket bound to .2 beats the wildcard; the connected one does not match this source.',
      observe: (r) => (r.facts.route as Record<string, string>)['41002>.2'],
      expect: { equals: 'specific' },
    },
    {
      id: 'wildcard',
      says: 'From 41002 to .3: only the wildcard socket matches that local address.',
      observe: (r) => (r.facts.route as Record<string, string>)['41002>.3'],
      expect: { equals: 'wildcard' },
    },
    {
      id: 'ss',
      says: 'ss shows the three sockets on one port; only the connected one has a peer (state ESTAB).',
      fact: 'ss',
      expect: {
        equals: [
          `ESTAB ${SERVER}:${PORT} ${CLIENT}:41001`,
          `UNCONN 0.0.0.0:${PORT} 0.0.0.0:*`,
          `UNCONN ${SERVER}:${PORT} 0.0.0.0:*`,
        ],
      },
    },
  ],
});
