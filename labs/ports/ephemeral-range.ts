import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { SERVER, portsPair } from './_scenario.ts';

const PORT = 5605;
const OTHER_PORT = 5606;
const LOW = 40000;
const HIGH = 40007;

export default defineLab({
  title: 'Ephemeral ports come from ip_local_port_range',
  verifies:
    'Verify: with net.ipv4.ip_local_port_range = 40000 40007, ten connect() calls to one destination get source ports inside the range, even ones first; after eight the range is used up for that destination and connect() fails with EADDRNOTAVAIL; a connect() to a different destination port still succeeds, reusing a source port that is already in use.',
  takeaway:
    "connect() takes its source port from ip_local_port_range, preferring the parity of the range's low end. The range runs out per destination, with EADDRNOTAVAIL, and a source port already in use still serves a different destination.",
  probes: ['ports/demux.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await portsPair(ctx, {
      clientSysctls: { 'net.ipv4.ip_local_port_range': `${LOW} ${HIGH}` },
    });
    const l1 = ctx.probe(server, 'ports/demux.c', ['tcp-server', SERVER, PORT, 'A', 'plain']);
    const l2 = ctx.probe(server, 'ports/demux.c', ['tcp-server', SERVER, OTHER_PORT, 'B', 'plain']);
    await l1.waitFor('listening');
    await l2.waitFor('listening');
    const many = ctx.probe(client, 'ports/demux.c', ['tcp-clients', SERVER, PORT, 10]);
    await many.waitFor('done');
    const other = ctx.probe(client, 'ports/demux.c', ['tcp-clients', SERVER, OTHER_PORT, 1]);
    const otherDone = await other.waitFor('done');
    await capture.stop();
    const ports = many.events.filter((e) => e.event === 'connected').map((e) => e.sport as number);
    const otherPort = other.events.find((e) => e.event === 'connected')?.sport as
      number | undefined;
    return {
      facts: {
        sourcePorts: ports,
        allInRange: ports.length > 0 && ports.every((p) => p >= LOW && p <= HIGH),
        firstFourParity: ports.slice(0, 4).every((p) => p % 2 === 0)
          ? 'even'
          : ports.slice(0, 4).every((p) => p % 2 === 1)
            ? 'odd'
            : 'mixed',
        connected: ports.length,
        failures: many.events
          .filter((e) => e.event === 'failed')
          .map((e) => `${e.errno} ${e.message}`),
        otherDestinationConnected: otherDone.connected,
        otherDestinationSourcePort: otherPort,
        otherDestinationReusesPort: otherPort !== undefined && ports.includes(otherPort),
      },
    };
  },
  claims: [
    {
      id: 'in-range',
      says: 'Every source port connect() picked lies in 40000–40007.',
      fact: 'allInRange',
      expect: { equals: true },
    },
    {
      id: 'even-first',
      says: "The first four are the even ports: connect() prefers the parity of the range's low end (Linux 4.6+), leaving the other parity to bind(0).",
      fact: 'firstFourParity',
      expect: { equals: 'even' },
      kernelNote: 'Linux 4.6+ (__inet_hash_connect); older kernels mix parities',
    },
    {
      id: 'eight',
      says: 'Eight connections succeed: the whole range, odd ports included once the even ones are taken.',
      fact: 'connected',
      expect: { equals: 8 },
    },
    {
      id: 'exhausted',
      says: 'The ninth and tenth fail with EADDRNOTAVAIL ("Cannot assign requested address").',
      fact: 'failures',
      expect: {
        equals: [
          'EADDRNOTAVAIL Cannot assign requested address',
          'EADDRNOTAVAIL Cannot assign requested address',
        ],
      },
    },
    {
      id: 'per-destination',
      says: 'A connect() to another destination port succeeds, with a source port the first eight connections already use.',
      fact: 'otherDestinationReusesPort',
      expect: { equals: true },
    },
  ],
});
