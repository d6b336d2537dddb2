import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcpSockets } from '../_lib/observe.ts';
import { onPort, flagSequence } from '../_lib/packets.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const LOOPBACK_PORT = 5700;
const WILDCARD_PORT = 5701;

export default defineLab({
  title: 'A server bound to 127.0.0.1 refuses other hosts',
  verifies:
    "Verify: a listener bound to 127.0.0.1:5700 answers a SYN from another host for 198.51.100.2:5700 with RST and connect() fails with ECONNREFUSED, while a listener bound to 0.0.0.0:5701 accepts that client; on the server's own host a connect() to 127.0.0.1:5700 succeeds.",
  takeaway:
    'A server bound to 127.0.0.1 accepts only clients on its own machine; a SYN from another host finds no listener and is answered with RST, so that client sees ECONNREFUSED.',
  probes: ['reachability/reach.c', 'probes/tcp-server.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const lo = ctx.probe(server, 'probes/tcp-server.c', ['127.0.0.1', LOOPBACK_PORT, 8, 'accept']);
    const any = ctx.probe(server, 'probes/tcp-server.c', ['0.0.0.0', WILDCARD_PORT, 8, 'accept']);
    await lo.waitFor('listening');
    await any.waitFor('listening');
    const remote = ctx.probe(client, 'reachability/reach.c', ['connect', SERVER, LOOPBACK_PORT]);
    const refused = await remote.waitFor('failed');
    const remoteOk = ctx.probe(client, 'reachability/reach.c', ['connect', SERVER, WILDCARD_PORT]);
    await remoteOk.waitFor('connected');
    const local = ctx.probe(server, 'reachability/reach.c', [
      'connect',
      '127.0.0.1',
      LOOPBACK_PORT,
    ]);
    const localResult = await Promise.race([local.waitFor('connected'), local.waitFor('failed')]);
    const sockets = await tcpSockets(server);
    const packets = await capture.stop();
    return {
      facts: {
        listeners: sockets
          .filter((s) => s.state === 'LISTEN')
          .map((s) => s.local)
          .sort(),
        loopbackFlags: flagSequence(onPort(packets, LOOPBACK_PORT)),
        loopbackOutcome: `${refused.errno} ${refused.message}`,
        loopbackMessage: refused.message,
        refusedAfterS: refused.elapsedS,
        wildcardFlags: flagSequence(onPort(packets, WILDCARD_PORT)),
        localOutcome: localResult.event === 'connected' ? 'connected' : `${localResult.errno}`,
      },
    };
  },
  claims: [
    {
      id: 'ss',
      says: 'ss on the server shows both listeners: one on 127.0.0.1, one on 0.0.0.0.',
      fact: 'listeners',
      expect: { equals: [`0.0.0.0:${WILDCARD_PORT}`, `127.0.0.1:${LOOPBACK_PORT}`] },
    },
    {
      id: 'rst',
      says: 'The SYN to the loopback-bound port is answered by RST: no socket matches 198.51.100.2:5700.',
      fact: 'loopbackFlags',
      expect: { equals: ['S', 'R.'] },
    },
    {
      id: 'refused',
      says: 'connect() fails with ECONNREFUSED, "Connection refused".',
      fact: 'loopbackOutcome',
      expect: { equals: 'ECONNREFUSED Connection refused' },
    },
    {
      id: 'wildcard',
      says: 'The same client connects to the 0.0.0.0 listener: SYN, SYN-ACK, ACK.',
      fact: 'wildcardFlags',
      expect: { equals: ['S', 'S.', '.'] },
    },
    {
      id: 'local',
      says: 'On the server\'s own host, connect() to 127.0.0.1:5700 succeeds: why "it works on the same machine".',
      fact: 'localOutcome',
      expect: { equals: 'connected' },
    },
  ],
});
