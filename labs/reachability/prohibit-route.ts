import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { onPort } from '../_lib/packets.ts';
import { CLIENT, FAR_SERVER, routed, ROUTER_CLIENT_SIDE } from '../_lib/topology.ts';

const PORT = 5702;

export default defineLab({
  title: 'A prohibit route: ICMP, then "No route to host"',
  verifies:
    'Verify: with `ip route add prohibit 203.0.113.1` in the router, the client\'s SYN is answered by the router with ICMP destination unreachable code 13 (communication administratively prohibited) and connect() fails with EHOSTUNREACH ("No route to host"), although the server is up and listening; the error may wait for the first SYN retransmission.',
  takeaway:
    'An ICMP destination unreachable from a router or firewall makes connect() fail with EHOSTUNREACH, "No route to host", even when routing works and the server is listening.',
  probes: ['reachability/reach.c', 'probes/tcp-server.c'],
  run: async (ctx: LabContext) => {
    const { client, router, server, capture } = await routed(ctx, {
      client: { 'net.ipv4.tcp_syn_linear_timeouts': '4', 'net.ipv4.tcp_syn_retries': '2' },
    });
    await router.run(['ip', 'route', 'add', 'prohibit', FAR_SERVER]);
    const listener = ctx.probe(server, 'probes/tcp-server.c', ['0.0.0.0', PORT, 8, 'accept']);
    await listener.waitFor('listening');
    const c = ctx.probe(client, 'reachability/reach.c', ['connect', FAR_SERVER, PORT]);
    const failed = await c.waitFor('failed', 20_000);
    const packets = await capture.stop();
    const clientCounters = await counters(client);
    const icmp = packets.filter((p) => p.icmp && p.ip.dst === CLIENT);
    const syns = onPort(packets, PORT).filter((p) => p.tcp.syn && !p.tcp.ack).length;
    return {
      // At most one SYN retransmission timer (1 s) when the first ICMP loses the race.
      inherentWaitS: syns > 1 ? 1 : 0,
      facts: {
        icmp: icmp.map((p) => `${p.icmp!.type}/${p.icmp!.code} from ${p.ip.src}`).join(' '),
        icmpDescription: icmp[0]?.icmp?.description,
        outcome: `${failed.errno} ${failed.message}`,
        message: failed.message,
        elapsedS: failed.elapsedS,
        syns,
        tcpFromServer: onPort(packets, PORT).filter((p) => p.ip.src === FAR_SERVER).length,
        lockDroppedIcmps: clientCounters.TcpExtLockDroppedIcmps,
        routerAddress: ROUTER_CLIENT_SIDE,
      },
    };
  },
  claims: [
    {
      id: 'icmp',
      says: 'The router answers each SYN with ICMP type 3 (destination unreachable), code 13 (administratively prohibited).',
      fact: 'icmp',
      expect: { matches: '^(3/13 from 198\\.51\\.100\\.254)( 3/13 from 198\\.51\\.100\\.254)?$' },
    },
    {
      id: 'errno',
      says: 'connect() fails with EHOSTUNREACH, "No route to host".',
      fact: 'outcome',
      expect: { equals: 'EHOSTUNREACH No route to host' },
    },
    {
      id: 'no-rst',
      says: 'No TCP segment ever comes back: the server never saw the SYN.',
      fact: 'tcpFromServer',
      expect: { equals: 0 },
    },
    {
      id: 'syns',
      says: "One or two SYNs: an ICMP that arrives while connect() still holds the socket lock only marks a soft error, and the retransmitted SYN's ICMP ends the attempt.",
      fact: 'syns',
      expect: { between: [1, 2] },
    },
    {
      id: 'fast',
      says: 'It fails within about one initial RTO, not after the full SYN timeout.',
      fact: 'elapsedS',
      expect: { atMost: 2.5 },
    },
  ],
});
