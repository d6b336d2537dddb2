import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { waitUntil } from '../_lib/wait.ts';

const PORT = 5306;
const COUNT = 3;
const MODES = ['unconnected-want', 'unconnected-do', 'unconnected-dont', 'connected'] as const;

export default defineLab({
  title: 'Which IPv4 identification a datagram gets',
  verifies:
    'Verify: a connected UDP socket numbers its datagrams from its own counter (consecutive ids, DF set); an unconnected socket with the default IP_PMTUDISC_WANT sends DF with a distinct non-zero id per datagram (the hashed per-destination generator), with IP_PMTUDISC_DONT the same without DF, and with IP_PMTUDISC_DO DF with id 0.',
  takeaway:
    'A connected socket numbers its IPv4 packets from its own counter, an unconnected socket that forbids fragmentation sends id 0, and every other packet takes its id from a hashed per-destination counter.',
  probes: ['fragmentation/ip-ids.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx, { names: ['sender', 'receiver'] });
    const sink = ctx.probe(server, 'fragmentation/ip-ids.c', ['sink', SERVER, PORT]);
    await sink.waitFor('listening');
    const sender = ctx.probe(client, 'fragmentation/ip-ids.c', ['send', SERVER, PORT, COUNT]);
    await sender.waitFor('done');
    const reads = () => sink.events.filter((e) => e.event === 'read').length;
    await waitUntil('every datagram read', () => reads() >= COUNT * MODES.length);
    const packets = await capture.stop();
    const byMode = Object.fromEntries(
      MODES.map((mode) => {
        const sport = sender.events.find((e) => e.event === 'socket' && e.mode === mode)?.sport;
        const sent = packets.filter((p) => p.ip.src === CLIENT && p.udp?.srcPort === sport);
        return [
          mode,
          {
            ids: sent.map((p) => p.ip.id as number),
            df: [...new Set(sent.map((p) => p.ip.df))],
          },
        ];
      }),
    );
    const steps = (ids: number[]) => ids.slice(1).map((id, i) => (id - ids[i] + 65536) % 65536);
    const distinctNonZero = (ids: number[]) => new Set(ids.filter((id) => id !== 0)).size;
    return {
      facts: {
        byMode,
        connectedIdSteps: steps(byMode.connected.ids),
        connectedDf: byMode.connected.df,
        wantDistinctIds: distinctNonZero(byMode['unconnected-want'].ids),
        wantDf: byMode['unconnected-want'].df,
        dontDistinctIds: distinctNonZero(byMode['unconnected-dont'].ids),
        dontDf: byMode['unconnected-dont'].df,
        doIds: byMode['unconnected-do'].ids,
        doDf: byMode['unconnected-do'].df,
        received: reads(),
      },
    };
  },
  claims: [
    {
      id: 'connected',
      says: 'A connected socket numbers its datagrams from its own counter: consecutive ids (steps of 1), DF set.',
      observe: (r) => [r.facts.connectedIdSteps, r.facts.connectedDf],
      expect: { equals: [[1, 1], [true]] },
    },
    {
      id: 'unconnected-want',
      says: 'An unconnected socket with the default IP_PMTUDISC_WANT sends DF, yet every datagram gets its own non-zero id from the hashed per-destination generator.',
      observe: (r) => [r.facts.wantDistinctIds, r.facts.wantDf],
      expect: { equals: [COUNT, [true]] },
    },
    {
      id: 'unconnected-dont',
      says: 'With IP_PMTUDISC_DONT: no DF, and again a distinct non-zero id per datagram.',
      observe: (r) => [r.facts.dontDistinctIds, r.facts.dontDf],
      expect: { equals: [COUNT, [false]] },
    },
    {
      id: 'unconnected-do',
      says: 'With IP_PMTUDISC_DO (fragmentation forbidden) an unconnected socket sends DF and id 0 on every datagram.',
      observe: (r) => [r.facts.doIds, r.facts.doDf],
      expect: { equals: [[0, 0, 0], [true]] },
    },
    {
      id: 'received',
      says: 'All twelve datagrams arrive.',
      fact: 'received',
      expect: { equals: COUNT * MODES.length },
    },
  ],
});
