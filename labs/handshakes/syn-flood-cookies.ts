import { defineLab } from '../_lib/define.ts';
import { counters } from '../_lib/observe.ts';
import { CLIENT, SERVER } from '../_lib/topology.ts';
import type { LabContext } from '../_lib/types.ts';
import { deltas, FLOOD_BACKLOG, FLOOD_PORT, FLOOD_SYNS, floodScenario } from './_scenario.ts';

export default defineLab({
  title: 'A SYN flood meets SYN cookies',
  verifies: `Verify: ${FLOOD_SYNS} SYNs from addresses that never answer, against a listener with backlog ${FLOOD_BACKLOG} and the default tcp_syncookies = 1: the server keeps ${FLOOD_BACKLOG + 1} half-open requests (SYN-RECV), then answers every further SYN with a cookie SYN-ACK and keeps nothing for it (TcpExtSyncookiesSent); a real client that connects during the flood completes at once from its cookie (SyncookiesRecv) and, with timestamps on, keeps window scaling and SACK.`,
  takeaway:
    'Under a SYN flood with the default tcp_syncookies=1, Linux keeps a bounded number of half-open requests and answers every further SYN with a cookie, keeping no state for it, so real clients still connect at once.',
  probes: ['handshakes/synsend.c', 'probes/tcp-server.c', 'probes/tcp-client.c'],
  run: async (ctx: LabContext) => {
    const flood = await floodScenario(ctx, 1);
    const { client, server, capture, listener } = flood;
    const connector = ctx.probe(client, 'probes/tcp-client.c', [SERVER, FLOOD_PORT, 1, 3000]);
    const connected = await connector.waitFor('connected', 5000);
    const accepted = await listener.waitFor('accepted', 5000);
    const packets = await capture.stop();
    const after = await counters(server);

    const names = [
      'TcpExtSyncookiesSent',
      'TcpExtSyncookiesRecv',
      'TcpExtSyncookiesFailed',
      'TcpExtTCPReqQFullDoCookies',
      'TcpExtTCPReqQFullDrop',
      'TcpExtListenDrops',
    ];
    const byFlood = deltas(flood.before, flood.afterFlood, names);
    const byClient = deltas(flood.afterFlood, after, names);
    const legit = packets.filter(
      (p) => p.tcp && (p.ip.src === CLIENT || p.ip.dst === CLIENT) && p.tcp.srcPort !== 40000,
    );
    const legitSyn = legit.find((p) => p.tcp!.syn && !p.tcp!.ack);
    const legitAck = legit.find((p) => !p.tcp!.syn && p.ip.src === CLIENT);
    return {
      hosts: flood.hosts,
      facts: {
        floodSyns: FLOOD_SYNS,
        synAcksToFlood: packets.filter(
          (p) => p.tcp?.syn && p.tcp.ack && p.tcp.dstPort === 40000 && p.ip.src === SERVER,
        ).length,
        synRecvEntries: flood.sockets.filter((s) => s.state === 'SYN-RECV').length,
        cookiesSentToFlood: byFlood.TcpExtSyncookiesSent,
        reqQFullDoCookies: byFlood.TcpExtTCPReqQFullDoCookies,
        floodDropped: byFlood.TcpExtListenDrops,
        legitCookieSent: byClient.TcpExtSyncookiesSent,
        legitCookieRecv: byClient.TcpExtSyncookiesRecv,
        legitCookieFailed: byClient.TcpExtSyncookiesFailed,
        legitFlags: legit.slice(0, 3).map((p) => p.tcp!.flags),
        legitHandshakeMs:
          legitSyn && legitAck ? Math.round((legitAck.t - legitSyn.t) * 1e6) / 1e3 : undefined,
        clientState: connected.state,
        serverSideOptions: {
          timestamps: accepted.optTimestamps,
          sack: accepted.optSack,
          wscale: accepted.optWscale,
          sndWscale: accepted.sndWscale,
        },
      },
    };
  },
  claims: [
    {
      id: 'requests',
      says: `The server keeps backlog + 1 = ${FLOOD_BACKLOG + 1} half-open requests (ss: SYN-RECV) ...`,
      fact: 'synRecvEntries',
      expect: { equals: FLOOD_BACKLOG + 1 },
      kernelNote:
        'inet_csk_reqsk_queue_is_full() compares with > since "tcp/dccp: allow a connection when sk_max_ack_backlog is zero" (mainline 6.13, backported to the 6.1 and 6.12 stable series in January 2025); older builds stop at the backlog itself',
    },
    {
      id: 'cookies',
      says: `... and answers each of the other ${FLOOD_SYNS - FLOOD_BACKLOG - 1} SYNs with a cookie SYN-ACK (TcpExtSyncookiesSent, TCPReqQFullDoCookies), keeping nothing.`,
      observe: (r) => [r.facts.cookiesSentToFlood, r.facts.reqQFullDoCookies],
      expect: { equals: [FLOOD_SYNS - FLOOD_BACKLOG - 1, FLOOD_SYNS - FLOOD_BACKLOG - 1] },
      kernelNote:
        'inet_csk_reqsk_queue_is_full() compares with > since "tcp/dccp: allow a connection when sk_max_ack_backlog is zero" (mainline 6.13, backported to the 6.1 and 6.12 stable series in January 2025); older builds keep one request fewer, so one more SYN is cookied or dropped',
    },
    {
      id: 'all-answered',
      says: `Every one of the ${FLOOD_SYNS} SYNs gets a SYN-ACK: none is dropped.`,
      observe: (r) => [r.facts.synAcksToFlood, r.facts.floodDropped],
      expect: { equals: [FLOOD_SYNS, 0] },
    },
    {
      id: 'legit-cookie',
      says: 'A real client connecting during the flood is answered with a cookie, and its ACK is accepted as one (SyncookiesRecv 1, SyncookiesFailed 0).',
      observe: (r) => [r.facts.legitCookieSent, r.facts.legitCookieRecv, r.facts.legitCookieFailed],
      expect: { equals: [1, 1, 0] },
    },
    {
      id: 'legit-handshake',
      says: 'Its handshake is the usual three segments, none retransmitted ...',
      fact: 'legitFlags',
      expect: { equals: ['S', 'S.', '.'] },
    },
    {
      id: 'legit-fast',
      says: '... and as fast as without a flood: well under a millisecond on this link.',
      fact: 'legitHandshakeMs',
      expect: { atMost: 50 },
      cost: true,
    },
    {
      id: 'legit-options',
      says: "With timestamps on, the server's socket made from the cookie keeps timestamps, SACK and the client's window scale (7).",
      fact: 'serverSideOptions',
      expect: { equals: { timestamps: true, sack: true, wscale: true, sndWscale: 7 } },
    },
  ],
});
