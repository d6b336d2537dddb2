import { defineLab } from '../_lib/define.ts';
import { counters } from '../_lib/observe.ts';
import { CLIENT, SERVER } from '../_lib/topology.ts';
import type { LabContext } from '../_lib/types.ts';
import { deltas, FLOOD_BACKLOG, FLOOD_PORT, FLOOD_SYNS, floodScenario } from './_scenario.ts';

export default defineLab({
  title: 'A SYN flood without SYN cookies locks clients out',
  verifies: `Verify: the same ${FLOOD_SYNS} SYNs against a listener with backlog ${FLOOD_BACKLOG} and tcp_syncookies = 0: the server keeps ${FLOOD_BACKLOG + 1} half-open requests and drops every further SYN without an answer (TcpExtTCPReqQFullDrop); a real client's SYNs are dropped too, so its connect() (tcp_syn_retries = 1) fails with ETIMEDOUT, while nothing is wrong with the server except a request queue full of peers that never answer.`,
  takeaway:
    "With SYN cookies off, a flood of SYNs that never complete fills the request queue, and every further SYN, real clients' included, is dropped without an answer: their connect() times out as if the server were down.",
  probes: ['handshakes/synsend.c', 'probes/tcp-server.c', 'probes/tcp-client.c'],
  run: async (ctx: LabContext) => {
    // The real client gives up after one retry (about 3 s) so that the lab stays short.
    const flood = await floodScenario(ctx, 0, { 'net.ipv4.tcp_syn_retries': '1' });
    const { client, server, capture } = flood;
    const connector = ctx.probe(client, 'probes/tcp-client.c', [SERVER, FLOOD_PORT, 1, 10000]);
    const started = await connector.waitFor('connecting', 5000);
    const failed = await connector.waitFor('failed', 10000);
    const packets = await capture.stop();
    const after = await counters(server);
    // Not set by the lab: the namespace's default, to compare with the requests it kept.
    const maxSynBacklog = Number(await server.readSysctl('net.ipv4.tcp_max_syn_backlog'));

    const names = ['TcpExtTCPReqQFullDrop', 'TcpExtListenDrops', 'TcpExtSyncookiesSent'];
    const byFlood = deltas(flood.before, flood.afterFlood, names);
    const byClient = deltas(flood.afterFlood, after, names);
    const legitSyns = packets.filter(
      (p) => p.ip.src === CLIENT && p.tcp?.syn && p.tcp.srcPort === started.sport,
    ).length;
    return {
      hosts: flood.hosts,
      // One SYN retry with its doubled wait: 1 + 2 s.
      inherentWaitS: 3,
      facts: {
        floodSyns: FLOOD_SYNS,
        synRecvEntries: flood.sockets.filter((s) => s.state === 'SYN-RECV').length,
        maxSynBacklog,
        floodAnswered: new Set(
          packets
            .filter(
              (p) => p.tcp?.syn && p.tcp.ack && p.tcp.dstPort === 40000 && p.ip.src === SERVER,
            )
            .map((p) => p.ip.dst),
        ).size,
        floodDropped: byFlood.TcpExtTCPReqQFullDrop,
        floodListenDrops: byFlood.TcpExtListenDrops,
        cookiesSent: byFlood.TcpExtSyncookiesSent + byClient.TcpExtSyncookiesSent,
        legitSyns,
        legitDropped: byClient.TcpExtTCPReqQFullDrop,
        answersToLegit: packets.filter(
          (p) => p.ip.dst === CLIENT && p.tcp?.dstPort === started.sport,
        ).length,
        legitOutcome: failed.errno,
        legitFailedAfterS: Math.round((failed.t - started.t) * 1000) / 1000,
      },
    };
  },
  claims: [
    {
      id: 'requests',
      says: `The server keeps backlog + 1 = ${FLOOD_BACKLOG + 1} half-open requests (SYN-RECV), as with cookies ...`,
      fact: 'synRecvEntries',
      expect: { equals: FLOOD_BACKLOG + 1 },
      kernelNote:
        'inet_csk_reqsk_queue_is_full() compares with > since "tcp/dccp: allow a connection when sk_max_ack_backlog is zero" (mainline 6.13, backported to the 6.1 and 6.12 stable series in January 2025); older builds stop at the backlog itself',
    },
    {
      id: 'dropped',
      says: `... but drops the other ${FLOOD_SYNS - FLOOD_BACKLOG - 1} SYNs without a word (TcpExtTCPReqQFullDrop, ListenDrops): only the ${FLOOD_BACKLOG + 1} requests are ever answered.`,
      observe: (r) => [r.facts.floodDropped, r.facts.floodListenDrops, r.facts.floodAnswered],
      expect: {
        equals: [FLOOD_SYNS - FLOOD_BACKLOG - 1, FLOOD_SYNS - FLOOD_BACKLOG - 1, FLOOD_BACKLOG + 1],
      },
      kernelNote:
        'inet_csk_reqsk_queue_is_full() compares with > since "tcp/dccp: allow a connection when sk_max_ack_backlog is zero" (mainline 6.13, backported to the 6.1 and 6.12 stable series in January 2025); older builds keep one request fewer, so one more SYN is cookied or dropped',
    },
    {
      id: 'no-cookies',
      says: 'No cookie is sent.',
      fact: 'cookiesSent',
      expect: { equals: 0 },
    },
    {
      id: 'legit-unanswered',
      says: "A real client's SYNs get nothing back either: not one is answered, each is counted as a drop.",
      observe: (r) => [r.facts.answersToLegit, r.facts.legitSyns - r.facts.legitDropped],
      expect: { equals: [0, 0] },
    },
    {
      id: 'legit-syns',
      says: 'With tcp_syn_retries = 1 it sends 3 SYNs, 1 s apart (linear timeouts) ...',
      fact: 'legitSyns',
      expect: { equals: 3 },
      kernel: {
        since: '6.5',
        before: { equals: 2 },
        change:
          'net.ipv4.tcp_syn_linear_timeouts, new in Linux 6.5 (ip-sysctl.rst), adds retransmissions within the same time budget',
      },
    },
    {
      id: 'legit-timeout',
      says: '... and connect() fails with ETIMEDOUT, as if the server were down.',
      fact: 'legitOutcome',
      expect: { equals: 'ETIMEDOUT' },
    },
    {
      id: 'legit-when',
      says: 'It gives up after about 3 s: the budget of one retry (1 + 2 s).',
      fact: 'legitFailedAfterS',
      expect: { between: [2.7, 4.5] },
    },
  ],
});
