import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { countByLabel, GROUP, payloads, PORT, RECV_TIMEOUT_MS, segment } from './_scenario.ts';

export default defineLab({
  title: 'A sender needs a route or IP_MULTICAST_IF',
  verifies: `Verify: on a host whose only route is its own /24, sendto() to ${GROUP} fails with ENETUNREACH; the same call succeeds once IP_MULTICAST_IF names the interface, or once a default route exists.`,
  takeaway:
    'A multicast sendto() needs a route for the group or an interface named with IP_MULTICAST_IF; on a host with only its subnet route it fails with ENETUNREACH.',
  probes: ['multicast/mcast.c'],
  run: async (ctx: LabContext) => {
    const { hosts, addrs, capture } = await segment(ctx, ['sender', 'rx1'], 3);
    const member = ctx.probe(hosts.rx1, 'multicast/mcast.c', [
      'recv',
      GROUP,
      PORT,
      GROUP,
      addrs.rx1,
      RECV_TIMEOUT_MS,
    ]);
    await member.waitFor('joined');
    const routesBefore = (await hosts.sender.run(['ip', '-4', 'route', 'show'])).trim();
    const result = async (probe: ReturnType<typeof ctx.probe>, label: string) => {
      await probe.waitFor('finished');
      const sent = probe.events.find((e) => e.event === 'sent' && e.label === label);
      return sent?.errno ? String(sent.errno) : 'ok';
    };
    const noRoute = await result(
      ctx.probe(hosts.sender, 'multicast/mcast.c', [
        'send',
        GROUP,
        PORT,
        'route',
        'noroute:-1:-1:1',
        '-',
      ]),
      'noroute',
    );
    const mcif = await result(
      ctx.probe(hosts.sender, 'multicast/mcast.c', [
        'send',
        GROUP,
        PORT,
        addrs.sender,
        'mcif:-1:-1:1',
        '-',
      ]),
      'mcif',
    );
    await hosts.sender.run(['ip', 'route', 'add', 'default', 'dev', 'eth0']);
    const routeGet = (await hosts.sender.run(['ip', '-4', 'route', 'get', GROUP]))
      .trim()
      .split('\n')[0];
    const route = await result(
      ctx.probe(hosts.sender, 'multicast/mcast.c', [
        'send',
        GROUP,
        PORT,
        'route',
        'route:-1:-1:1',
        GROUP,
      ]),
      'route',
    );
    await member.waitFor('done', RECV_TIMEOUT_MS + 5000);
    await capture.stop();
    return {
      inherentWaitS: 0,
      facts: {
        routesBefore,
        noRouteErrno: noRoute,
        multicastIfResult: mcif,
        defaultRouteResult: route,
        routeGetWithDefault: routeGet.replace(/\s+/g, ' '),
        received: countByLabel(payloads(member.events), ['noroute', 'mcif', 'route']),
      },
    };
  },
  claims: [
    {
      id: 'no-route',
      says: 'Without a route and without IP_MULTICAST_IF, sendto() fails with ENETUNREACH.',
      fact: 'noRouteErrno',
      expect: { equals: 'ENETUNREACH' },
    },
    {
      id: 'multicast-if',
      says: 'With IP_MULTICAST_IF set to the interface address, the same sendto() succeeds.',
      fact: 'multicastIfResult',
      expect: { equals: 'ok' },
    },
    {
      id: 'default-route',
      says: 'With a default route via the interface (and no IP_MULTICAST_IF), it succeeds too.',
      fact: 'defaultRouteResult',
      expect: { equals: 'ok' },
    },
    {
      id: 'received',
      says: 'The member receives exactly the datagrams whose sendto() succeeded.',
      fact: 'received',
      expect: { equals: { noroute: 0, mcif: 1, route: 1 } },
    },
  ],
});
