import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { GROUP, igmpFrom, payloads, PORT, RECV_TIMEOUT_MS, segment } from './_scenario.ts';

export default defineLab({
  title: 'IGMPv2: report to the group, leave to 224.0.0.2',
  verifies: `Verify: with net.ipv4.conf.all.force_igmp_version=2, IP_ADD_MEMBERSHIP sends an IGMPv2 membership report addressed to ${GROUP} itself, and IP_DROP_MEMBERSHIP sends an IGMPv2 Leave Group addressed to 224.0.0.2 (all routers).`,
  takeaway:
    'With IGMPv2, joining sends a membership report addressed to the group itself, and leaving sends a Leave Group to the all-routers address.',
  probes: ['multicast/mcast.c'],
  run: async (ctx: LabContext) => {
    const { hosts, addrs, capture } = await segment(ctx, ['sender', 'rx1'], 2);
    const member = ctx.probe(hosts.rx1, 'multicast/mcast.c', [
      'recv',
      GROUP,
      PORT,
      GROUP,
      addrs.rx1,
      RECV_TIMEOUT_MS,
    ]);
    await member.waitFor('joined');
    await capture.waitForPacket((p) => p.ip.src === addrs.rx1 && p.igmp?.group === GROUP);
    const sender = ctx.probe(hosts.sender, 'multicast/mcast.c', [
      'send',
      GROUP,
      PORT,
      addrs.sender,
      'data:-1:-1:1',
      GROUP,
    ]);
    await sender.waitFor('finished');
    await member.waitFor('left', RECV_TIMEOUT_MS + 5000);
    const leave = await capture.waitForPacket(
      (p) => p.ip.src === addrs.rx1 && p.igmp?.kind === 'leave',
    );
    const packets = await capture.stop();
    const report = packets.find((p) => p.ip.src === addrs.rx1 && p.igmp?.kind === 'report');
    return {
      inherentWaitS: 0,
      facts: {
        igmpVersionPinned: await hosts.rx1.readSysctl('net.ipv4.conf.all.force_igmp_version'),
        igmp: igmpFrom(packets, addrs.rx1),
        firstIgmp: igmpFrom(packets, addrs.rx1)[0],
        reportDst: report ? `${report.ip.dst}/${report.ip.ttl}` : undefined,
        leave: `v${leave.igmp!.version} ${leave.igmp!.kind} ${leave.igmp!.group}`,
        leaveDst: `${leave.ip.dst}/${leave.ip.ttl}`,
        received: payloads(member.events).length,
      },
    };
  },
  claims: [
    {
      id: 'report',
      says: 'The join is an IGMPv2 membership report (type 0x16) naming the group.',
      fact: 'firstIgmp',
      expect: { equals: `v2 report ${GROUP}` },
    },
    {
      id: 'report-dst',
      says: 'The v2 report is addressed to the group itself, with TTL 1.',
      fact: 'reportDst',
      expect: { equals: `${GROUP}/1` },
    },
    {
      id: 'leave',
      says: 'Leaving sends an IGMPv2 Leave Group (type 0x17) naming the group.',
      fact: 'leave',
      expect: { equals: `v2 leave ${GROUP}` },
    },
    {
      id: 'leave-dst',
      says: 'The leave goes to 224.0.0.2, the all-routers group, with TTL 1.',
      fact: 'leaveDst',
      expect: { equals: '224.0.0.2/1' },
    },
    {
      id: 'received',
      says: 'Membership works the same: the member receives the datagram once.',
      fact: 'received',
      expect: { equals: 1 },
    },
  ],
});
