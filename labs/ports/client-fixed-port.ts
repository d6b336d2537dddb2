import { defineLab } from '../_lib/define.ts';
import type { LabContext, LabRun } from '../_lib/types.ts';
import { SERVER, portsPair } from './_scenario.ts';

const PORT = 5607;
const OTHER_PORT = 5608;
const LPORT = 45000;

const step = (r: LabRun, name: string) => {
  const e = r.events.find((x) => x.event === 'step' && x.step === name);
  return e ? (e.ok ? `${e.call} ok, sport ${e.sport}` : `${e.call} ${e.errno}`) : undefined;
};

export default defineLab({
  title: 'A client that binds a fixed port',
  verifies:
    'Verify: a client that bind()s local port 45000 before connect() uses it as its source port; a second socket cannot bind 45000 (EADDRINUSE); with SO_REUSEADDR on both sockets the second bind succeeds, but connect() to the same destination fails with EADDRNOTAVAIL because the four-tuple is taken, while connect() to another destination port succeeds.',
  takeaway:
    'A client can bind() a fixed source port, but a second socket shares that port only if both set SO_REUSEADDR, and even then cannot connect to the same destination: the four-tuple must be unique (EADDRNOTAVAIL).',
  probes: ['ports/demux.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await portsPair(ctx);
    const l1 = ctx.probe(server, 'ports/demux.c', ['tcp-server', SERVER, PORT, 'A', 'plain']);
    const l2 = ctx.probe(server, 'ports/demux.c', ['tcp-server', SERVER, OTHER_PORT, 'B', 'plain']);
    await l1.waitFor('listening');
    await l2.waitFor('listening');
    const fixed = ctx.probe(client, 'ports/demux.c', ['fixed', SERVER, PORT, OTHER_PORT, LPORT]);
    await fixed.waitFor('done');
    const packets = await capture.stop();
    return {
      facts: {
        steps: fixed.events
          .filter((e) => e.event === 'step')
          .map(
            (e) =>
              `${e.step}: ${e.call} ${e.ok ? `ok sport ${e.sport}` : `${e.errno} (${e.message})`}`,
          ),
        syns: packets
          .filter((p) => p.tcp?.syn && !p.tcp.ack)
          .map((p) => `${p.tcp!.srcPort}>${p.tcp!.dstPort}`),
      },
    };
  },
  claims: [
    {
      id: 'fixed',
      says: 'bind() then connect(): the connection leaves from the chosen port.',
      observe: (r) => step(r, 'first'),
      expect: { equals: `connect ok, sport ${LPORT}` },
    },
    {
      id: 'second-bind',
      says: "A second socket's bind() to that port fails with EADDRINUSE, although nothing listens there.",
      observe: (r) => step(r, 'second-bind'),
      expect: { equals: 'bind EADDRINUSE' },
    },
    {
      id: 'reuse-bind',
      says: 'With SO_REUSEADDR on both, the second bind() succeeds, and its connect() to the same destination fails with EADDRNOTAVAIL: the four-tuple would repeat.',
      observe: (r) => step(r, 'reuse-same-destination'),
      expect: { equals: 'connect EADDRNOTAVAIL' },
    },
    {
      id: 'reuse-other',
      says: 'The same port connects fine to a different destination port: only the whole four-tuple must be unique.',
      observe: (r) => step(r, 'reuse-other-destination'),
      expect: { equals: `connect ok, sport ${LPORT + 1}` },
    },
    {
      id: 'wire',
      says: 'On the wire, three SYNs leave from the fixed ports: 45000 → 5607, 45001 → 5607, 45001 → 5608.',
      fact: 'syns',
      expect: {
        equals: [`${LPORT}>${PORT}`, `${LPORT + 1}>${PORT}`, `${LPORT + 1}>${OTHER_PORT}`],
      },
    },
  ],
});
