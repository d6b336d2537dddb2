import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import {
  countByLabel,
  GROUP,
  igmpFrom,
  OTHER_GROUP,
  payloads,
  PORT,
  RECV_TIMEOUT_MS,
  segment,
  udpTo,
} from './_scenario.ts';

const COUNT = 3;

export default defineLab({
  title: 'Join, receive one copy each, leave',
  verifies: `Verify: receivers join ${GROUP} with IP_ADD_MEMBERSHIP and the kernel sends an IGMPv3 membership report for it; the sender only calls sendto() to ${GROUP}:${PORT}; each datagram crosses the segment once and every member receives exactly one copy, a host that did not join receives none; IP_DROP_MEMBERSHIP sends a report that leaves the group.`,
  takeaway:
    'A multicast receiver must join the group, and its kernel announces joins and leaves with IGMP reports that nobody answers; the sender needs no membership, and each datagram crosses the segment once and reaches each member once.',
  probes: ['multicast/mcast.c'],
  run: async (ctx: LabContext) => {
    const seg = await segment(ctx, ['sender', 'rx1', 'rx2', 'rx3'], 3);
    const { hosts, addrs, capture } = seg;
    const members = ['rx1', 'rx2'].map((name) =>
      ctx.probe(hosts[name], 'multicast/mcast.c', [
        'recv',
        GROUP,
        PORT,
        GROUP,
        addrs[name],
        RECV_TIMEOUT_MS,
      ]),
    );
    // rx3 binds the same port on every address but joins only the other group, which carries its "end".
    const other = ctx.probe(hosts.rx3, 'multicast/mcast.c', [
      'recv',
      '0.0.0.0',
      PORT,
      OTHER_GROUP,
      addrs.rx3,
      RECV_TIMEOUT_MS,
    ]);
    for (const p of [...members, other]) await p.waitFor('joined');
    for (const name of ['rx1', 'rx2']) {
      await capture.waitForPacket(
        (p) => p.ip.src === addrs[name] && !!p.igmp?.records?.some((r) => r.group === GROUP),
      );
    }
    const sender = ctx.probe(hosts.sender, 'multicast/mcast.c', [
      'send',
      GROUP,
      PORT,
      addrs.sender,
      `data:-1:-1:${COUNT}`,
      `${GROUP},${OTHER_GROUP}`,
    ]);
    await sender.waitFor('finished');
    for (const p of [...members, other]) await p.waitFor('done', RECV_TIMEOUT_MS + 5000);
    for (const p of members) await p.waitFor('left');
    for (const name of ['rx1', 'rx2']) {
      await capture.waitForPacket(
        (p) =>
          p.ip.src === addrs[name] &&
          !!p.igmp?.records?.some((r) => r.group === GROUP && r.mode === 'to_in'),
      );
    }
    await other.waitFor('left');
    const packets = await capture.stop();

    const data = udpTo(packets, GROUP).filter((p) => p.udp!.payloadLength !== 3); // "end" is 3 bytes
    const reports = packets.filter((p) => p.igmp);
    const perMember = (f: (list: string[]) => string | number | undefined) =>
      Object.fromEntries(
        ['rx1', 'rx2'].map((name) => [
          name,
          f(igmpFrom(packets, addrs[name]).filter((s) => s.includes(GROUP))),
        ]),
      );
    const defaults = sender.events.find((e) => e.event === 'defaults');
    return {
      inherentWaitS: 0,
      facts: {
        copiesPerMember: Object.fromEntries(
          members.map((p, i) => [`rx${i + 1}`, countByLabel(payloads(p.events), ['data']).data]),
        ),
        nonMemberCopies: payloads(other.events).length,
        nonMemberEndFrom: other.events.find((e) => e.payload === 'end')?.dst,
        datagramsOnWire: data.length,
        wireTtls: [...new Set(data.map((p) => p.ip.ttl))],
        senderDefaultTtl: defaults?.ttl,
        senderDefaultLoop: defaults?.loop,
        firstReportPerMember: perMember((l) => l[0]),
        leavePerMember: perMember((l) => l.find((s) => s.includes('to_in'))),
        reportsPerMember: perMember((l) => l.length),
        reportDestinations: [...new Set(reports.map((p) => `${p.ip.dst}/${p.ip.ttl}`))],
        senderIgmp: igmpFrom(packets, addrs.sender).length,
      },
    };
  },
  claims: [
    {
      id: 'copies',
      says: `Each of the two members receives each of the ${COUNT} datagrams exactly once.`,
      fact: 'copiesPerMember',
      expect: { equals: { rx1: COUNT, rx2: COUNT } },
    },
    {
      id: 'non-member',
      says: 'A host bound to the same port that joined only another group receives none of them.',
      fact: 'nonMemberCopies',
      expect: { equals: 0 },
    },
    {
      id: 'once-on-wire',
      says: `The sender transmits each datagram once: ${COUNT} UDP datagrams to the group on the segment, not one per receiver.`,
      fact: 'datagramsOnWire',
      expect: { equals: COUNT },
    },
    {
      id: 'ttl-1',
      says: 'Without IP_MULTICAST_TTL the datagrams leave with TTL 1 (ip(7) default).',
      fact: 'wireTtls',
      expect: { equals: [1] },
    },
    {
      id: 'join-report',
      says: 'IP_ADD_MEMBERSHIP makes each member send an IGMPv3 report: CHANGE_TO_EXCLUDE({}) for the group, i.e. "all sources".',
      fact: 'firstReportPerMember',
      expect: { equals: { rx1: `v3 report to_ex ${GROUP}`, rx2: `v3 report to_ex ${GROUP}` } },
      kernelNote:
        'IGMPv3 because force_igmp_version is pinned to 3; with 0 (the default) Linux also starts with v3 until it hears an older querier',
    },
    {
      id: 'report-dst',
      says: 'IGMPv3 reports go to 224.0.0.22 (all IGMPv3-capable routers) with TTL 1.',
      fact: 'reportDestinations',
      expect: { equals: ['224.0.0.22/1'] },
    },
    {
      id: 'leave',
      says: 'IP_DROP_MEMBERSHIP makes each member send CHANGE_TO_INCLUDE({}) for the group: the IGMPv3 way to leave.',
      fact: 'leavePerMember',
      expect: { equals: { rx1: `v3 report to_in ${GROUP}`, rx2: `v3 report to_in ${GROUP}` } },
    },
    {
      id: 'sender-silent',
      says: 'The sender, which never joined, sends no IGMP at all.',
      fact: 'senderIgmp',
      expect: { equals: 0 },
    },
  ],
});
