import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import {
  countByLabel,
  GROUP,
  payloads,
  PORT,
  RECV_TIMEOUT_MS,
  segment,
  udpTo,
} from './_scenario.ts';

/** LABEL:TTL:LOOP:COUNT, sent in this order from one socket (-1 = not set, the default). */
const SPECS = ['default:-1:-1:2', 'ttl5:5:1:2', 'ttl0:0:1:2', 'noloop:1:0:2'];
const LABELS = SPECS.map((s) => s.split(':')[0]);

export default defineLab({
  title: 'IP_MULTICAST_TTL and IP_MULTICAST_LOOP',
  verifies:
    'Verify: datagrams leave with the TTL set by IP_MULTICAST_TTL (1 when unset); with TTL 0 they never reach the wire but a member on the sending host still gets them; with IP_MULTICAST_LOOP 0 the local member gets nothing while remote members are unaffected.',
  takeaway:
    'By default multicast datagrams stay on the local segment, and with TTL 0 they never leave the host, yet local members still receive them. IP_MULTICAST_LOOP, on by default, gives members on the sending host a copy; turning it off affects only them.',
  probes: ['multicast/mcast.c'],
  run: async (ctx: LabContext) => {
    const { hosts, addrs, capture } = await segment(ctx, ['sender', 'rx1'], 3);
    const local = ctx.probe(hosts.sender, 'multicast/mcast.c', [
      'recv',
      GROUP,
      PORT,
      GROUP,
      addrs.sender,
      RECV_TIMEOUT_MS,
    ]);
    const remote = ctx.probe(hosts.rx1, 'multicast/mcast.c', [
      'recv',
      GROUP,
      PORT,
      GROUP,
      addrs.rx1,
      RECV_TIMEOUT_MS,
    ]);
    await local.waitFor('joined');
    await remote.waitFor('joined');
    const sender = ctx.probe(hosts.sender, 'multicast/mcast.c', [
      'send',
      GROUP,
      PORT,
      addrs.sender,
      SPECS.join(','),
      GROUP,
    ]);
    await sender.waitFor('finished');
    await local.waitFor('done', RECV_TIMEOUT_MS + 5000);
    await remote.waitFor('done', RECV_TIMEOUT_MS + 5000);
    // The "end" marker (3 bytes) is the last datagram on the wire: everything before it is in the capture.
    await capture.waitForPacket((p) => p.ip.dst === GROUP && p.udp?.payloadLength === 3);
    const packets = await capture.stop();
    const data = udpTo(packets, GROUP).filter((p) => p.udp!.payloadLength !== 3);
    const defaults = sender.events.find((e) => e.event === 'defaults');
    return {
      inherentWaitS: 0,
      facts: {
        specs: SPECS,
        wireTtls: data.map((p) => p.ip.ttl),
        remoteCopies: countByLabel(payloads(remote.events), LABELS),
        localCopies: countByLabel(payloads(local.events), LABELS),
        localTtl5: local.events.find((e) => String(e.payload).startsWith('ttl5-'))?.ttl,
        remoteTtl5: remote.events.find((e) => String(e.payload).startsWith('ttl5-'))?.ttl,
        defaultTtl: defaults?.ttl,
        defaultLoop: defaults?.loop,
      },
    };
  },
  claims: [
    {
      id: 'wire-ttls',
      says: 'On the wire: 2 datagrams with TTL 1 (unset), 2 with TTL 5, none of the TTL-0 ones, 2 with TTL 1 and loop off.',
      fact: 'wireTtls',
      expect: { equals: [1, 1, 5, 5, 1, 1] },
    },
    {
      id: 'remote',
      says: 'The remote member receives every datagram except the TTL-0 ones.',
      fact: 'remoteCopies',
      expect: { equals: { default: 2, ttl5: 2, ttl0: 0, noloop: 2 } },
    },
    {
      id: 'local',
      says: 'The member on the sending host receives everything sent with loop on, TTL 0 included, and nothing sent with loop off.',
      fact: 'localCopies',
      expect: { equals: { default: 2, ttl5: 2, ttl0: 2, noloop: 0 } },
    },
    {
      id: 'local-ttl',
      says: 'The looped-back copy is delivered with the TTL it was sent with (5 stays 5).',
      fact: 'localTtl5',
      expect: { equals: 5 },
    },
    {
      id: 'defaults',
      says: 'A fresh socket reports IP_MULTICAST_TTL 1 and IP_MULTICAST_LOOP 1.',
      observe: (r) => [r.facts.defaultTtl, r.facts.defaultLoop],
      expect: { equals: [1, 1] },
    },
  ],
});
