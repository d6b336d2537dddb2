import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcpSockets } from '../_lib/observe.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const REUSE = 5080;
const NOREUSE = 5081;

export default defineLab({
  title: 'Binding a port that has a TIME-WAIT connection',
  verifies: `Verify: the server closes its connection first and then its listener, so only a TIME-WAIT connection holds ${SERVER}:${REUSE}; bind() there fails with EADDRINUSE without SO_REUSEADDR and succeeds with it. On port ${NOREUSE}, whose old listener did not set SO_REUSEADDR, even a new socket with SO_REUSEADDR gets EADDRINUSE.`,
  takeaway:
    'A port held only by a TIME-WAIT connection refuses bind() with EADDRINUSE unless the new socket sets SO_REUSEADDR, and the socket that left the TIME-WAIT behind must have set it too.',
  probes: ['teardown/bind-time-wait.c', 'teardown/teardown.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const reuse = ctx.probe(server, 'teardown/bind-time-wait.c', [
      'server',
      SERVER,
      REUSE,
      'reuse',
    ]);
    const noreuse = ctx.probe(server, 'teardown/bind-time-wait.c', [
      'server',
      SERVER,
      NOREUSE,
      'noreuse',
    ]);
    await reuse.waitFor('listening');
    await noreuse.waitFor('listening');
    ctx.probe(client, 'teardown/bind-time-wait.c', ['client', SERVER, REUSE]);
    ctx.probe(client, 'teardown/bind-time-wait.c', ['client', SERVER, NOREUSE]);
    await reuse.waitFor('listener-closed');
    await noreuse.waitFor('listener-closed');
    const serverSs = await tcpSockets(server);
    await reuse.waitFor('done');
    await noreuse.waitFor('done');
    await capture.stop();

    const bind = (p: typeof reuse, withReuse: boolean) => {
      const e = p.events.find((ev) => ev.event === 'bind' && ev.reuseaddr === withReuse);
      return e ? (e.ret === 0 ? 'ok' : e.errno) : undefined;
    };
    return {
      facts: {
        serverSsStates: serverSs
          .filter((s) => s.local.endsWith(`:${REUSE}`) || s.local.endsWith(`:${NOREUSE}`))
          .map((s) => s.state),
        serverSsTimers: serverSs.map((s) => s.timer),
        reuseBindWithout: bind(reuse, false),
        reuseBindWith: bind(reuse, true),
        noreuseBindWithout: bind(noreuse, false),
        noreuseBindWith: bind(noreuse, true),
      },
    };
  },
  claims: [
    {
      id: 'time-wait',
      says: 'Only TIME-WAIT connections remain on the server ports when the new sockets bind (ss).',
      fact: 'serverSsStates',
      expect: { equals: ['TIME-WAIT', 'TIME-WAIT'] },
    },
    {
      id: 'without',
      says: 'Without SO_REUSEADDR, bind() fails with EADDRINUSE.',
      fact: 'reuseBindWithout',
      expect: { equals: 'EADDRINUSE' },
    },
    {
      id: 'with',
      says: 'With SO_REUSEADDR, bind() and listen() succeed next to the TIME-WAIT connection.',
      fact: 'reuseBindWith',
      expect: { equals: 'ok' },
    },
    {
      id: 'both-must-set',
      says: 'If the socket that left the TIME-WAIT lacked SO_REUSEADDR, bind() fails with EADDRINUSE even with SO_REUSEADDR.',
      observe: (r) => [r.facts.noreuseBindWithout, r.facts.noreuseBindWith],
      expect: { equals: ['EADDRINUSE', 'EADDRINUSE'] },
      kernelNote:
        "inet_bind_conflict() lets a bind pass only when both sockets have sk_reuse (the TIME-WAIT socket keeps its creator's)",
    },
  ],
});
