import { defineLab } from '../_lib/define.ts';
import type { LabContext, LabRun } from '../_lib/types.ts';
import { tcpSockets } from '../_lib/observe.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5105;

type Outcome = Record<string, string | null>;
/** `case opts` → { call: errno | null } in the order tried. */
const outcome = (r: LabRun, c: string, opts: string) =>
  (r.facts.matrix as Record<string, Outcome>)[`${c} ${opts}`];

export default defineLab({
  title: 'SO_REUSEADDR versus SO_REUSEPORT',
  verifies:
    'Verify: with a TIME_WAIT socket on the port, a new listener fails with EADDRINUSE without options and succeeds with SO_REUSEADDR or SO_REUSEPORT; while one socket listens, a second one binds only with SO_REUSEPORT (SO_REUSEADDR fails with EADDRINUSE); two SO_REUSEADDR sockets may both bind, but the second listen() fails with EADDRINUSE.',
  takeaway:
    'SO_REUSEADDR lets a new listener bind a port that only TIME-WAIT connections hold, but never lets two listeners share one address and port; SO_REUSEPORT, set on every socket by the same user, does.',
  probes: ['socket-options/reuse.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const old = ctx.probe(server, 'socket-options/reuse.c', ['timewait', SERVER, PORT]);
    await old.waitFor('listening');
    const conn = ctx.probe(client, 'socket-options/reuse.c', ['connect', SERVER, PORT, 1]);
    await conn.waitFor('done');
    await old.waitFor('closed');
    await old.exited;
    const before = await tcpSockets(server);
    const matrixProbe = ctx.probe(server, 'socket-options/reuse.c', ['matrix', SERVER, PORT]);
    await matrixProbe.waitFor('done');
    await matrixProbe.exited;
    await capture.stop();

    const matrix: Record<string, Outcome> = {};
    for (const e of matrixProbe.events.filter((x) => x.event === 'try')) {
      (matrix[`${e.case} ${e.opts}`] ??= {})[e.call as string] = e.errno as string | null;
    }
    const tw = before.find((s) => s.local === `${SERVER}:${PORT}` && s.state === 'TIME-WAIT');
    return {
      facts: {
        serverTimeWait: Boolean(tw),
        timeWaitTimer: tw?.timer,
        matrix,
      },
    };
  },
  claims: [
    {
      id: 'tw-state',
      says: 'The server side of the closed connection is in TIME-WAIT on the port when the new listeners try.',
      fact: 'serverTimeWait',
      expect: { equals: true },
    },
    {
      id: 'tw-none',
      says: 'Over TIME_WAIT, a listener without options fails at bind() with EADDRINUSE.',
      observe: (r) => outcome(r, 'over-time-wait', 'none'),
      expect: { equals: { bind: 'EADDRINUSE' } },
    },
    {
      id: 'tw-addr',
      says: 'Over TIME_WAIT, SO_REUSEADDR binds and listens.',
      observe: (r) => outcome(r, 'over-time-wait', 'SO_REUSEADDR'),
      expect: { equals: { bind: null, listen: null } },
    },
    {
      id: 'tw-port',
      says: 'Over TIME_WAIT, SO_REUSEPORT alone also binds and listens (the TIME_WAIT socket had it too).',
      observe: (r) => outcome(r, 'over-time-wait', 'SO_REUSEPORT'),
      expect: { equals: { bind: null, listen: null } },
      kernelNote: 'needs SO_REUSEPORT on the old socket as well; see the chapter',
    },
    {
      id: 'second-none',
      says: 'A second listener without options fails at bind() with EADDRINUSE.',
      observe: (r) => outcome(r, 'second-listener', 'none'),
      expect: { equals: { bind: 'EADDRINUSE' } },
    },
    {
      id: 'second-addr',
      says: 'SO_REUSEADDR on both does not allow a second listener: bind() fails with EADDRINUSE.',
      observe: (r) => outcome(r, 'second-listener', 'SO_REUSEADDR'),
      expect: { equals: { bind: 'EADDRINUSE' } },
    },
    {
      id: 'second-port',
      says: 'SO_REUSEPORT on both allows the second listener.',
      observe: (r) => outcome(r, 'second-listener', 'SO_REUSEPORT'),
      expect: { equals: { bind: null, listen: null } },
    },
    {
      id: 'bbl-addr',
      says: 'Two SO_REUSEADDR sockets may both bind while neither listens, but the second listen() fails with EADDRINUSE.',
      observe: (r) => outcome(r, 'bind-bind-listen', 'SO_REUSEADDR'),
      expect: {
        equals: { 'bind#1': null, 'bind#2': null, 'listen#1': null, 'listen#2': 'EADDRINUSE' },
      },
    },
    {
      id: 'bbl-port',
      says: 'Two SO_REUSEPORT sockets bind and both listen.',
      observe: (r) => outcome(r, 'bind-bind-listen', 'SO_REUSEPORT'),
      expect: { equals: { 'bind#1': null, 'bind#2': null, 'listen#1': null, 'listen#2': null } },
    },
  ],
});
