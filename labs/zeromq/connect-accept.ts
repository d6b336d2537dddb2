import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { onPort } from '../_lib/packets.ts';
import { monitorEvents, names, nth, zmqSocket } from './_scenario.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5555;

export default defineLab({
  title: 'ZeroMQ monitor events next to the packets',
  verifies: `Verify: ROUTER bind and DEALER connect on port ${PORT} produce LISTENING / ACCEPTED / HANDSHAKE_SUCCEEDED on the server and CONNECT_DELAYED / CONNECTED / HANDSHAKE_SUCCEEDED on the client; the wire shows the TCP handshake, a 64-byte ZMTP 3 greeting and a 43-byte READY command from each side; the server's close becomes DISCONNECTED and then CONNECT_RETRIED on the client.`,
  // The Node probe zeromq/_zmq-probe.ts is shown in the chapter; the lab card lists C probes only.
  takeaway:
    "ZeroMQ's CONNECTED and ACCEPTED events mean only that TCP is established; messages flow after the ZMTP greeting and READY exchange, which HANDSHAKE_SUCCEEDED reports, and a peer's FIN shows as DISCONNECTED followed by a reconnect attempt.",
  probes: [],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const router = await zmqSocket(ctx, server, {
      type: 'router',
      bind: `tcp://${SERVER}:${PORT}`,
    });
    await router.waitFor('zmq:bind');
    const dealer = await zmqSocket(ctx, client, {
      type: 'dealer',
      connect: `tcp://${SERVER}:${PORT}`,
    });
    await dealer.waitFor('zmq:handshake');
    await router.waitFor('zmq:handshake');
    const serverEvents = names(monitorEvents(router));
    await router.stop();
    await dealer.waitFor('zmq:disconnect');
    await nth(dealer, 'zmq:connect:retry', 1, 10_000);
    await dealer.stop();
    const packets = await capture.stop();

    const clientNames = names(monitorEvents(dealer));
    const cut = clientNames.indexOf('handshake') + 1;
    const conn = onPort(packets, PORT);
    const firstPort = conn[0]?.tcp.srcPort;
    const flow = conn.filter((p) => p.tcp.srcPort === firstPort || p.tcp.dstPort === firstPort);
    const payloads = (fromClient: boolean) =>
      flow
        .filter((p) => (p.tcp.dstPort === PORT) === fromClient && p.tcp.payloadLength > 0)
        .map((p) => p.tcp.payloadLength);
    return {
      inherentWaitS: 0.2,
      facts: {
        serverEvents,
        clientEventsUntilHandshake: clientNames.slice(0, cut),
        clientEventsAfterHandshake: clientNames.slice(cut),
        firstFlags: flow.slice(0, 3).map((p) => p.tcp.flags),
        clientPayloads: payloads(true),
        serverPayloads: payloads(false),
        ...greetingAndReady('client', payloads(true)),
        ...greetingAndReady('server', payloads(false)),
        serverFin: flow.some((p) => p.tcp.fin && p.tcp.srcPort === PORT),
      },
    };
  },
  claims: [
    {
      id: 'server-events',
      says: 'The server reports bind (ZMQ_EVENT_LISTENING), then accept (ACCEPTED), then handshake (HANDSHAKE_SUCCEEDED).',
      fact: 'serverEvents',
      expect: { equals: ['bind', 'accept', 'handshake'] },
    },
    {
      id: 'client-events',
      says: 'The client reports connect:delay (CONNECT_DELAYED), connect (CONNECTED), handshake (HANDSHAKE_SUCCEEDED).',
      fact: 'clientEventsUntilHandshake',
      expect: { equals: ['connect:delay', 'connect', 'handshake'] },
    },
    {
      id: 'tcp-first',
      says: 'The wire starts with the three-segment TCP handshake: CONNECTED means TCP is up, not that ZeroMQ can talk yet.',
      fact: 'firstFlags',
      expect: { equals: ['S', 'S.', '.'] },
    },
    {
      id: 'greeting',
      says: 'Each side first sends the 64-byte ZMTP 3 greeting (signature, version, mechanism NULL), in two or three segments depending on timing.',
      observe: (r) => [r.facts.clientGreetingBytes, r.facts.serverGreetingBytes],
      expect: { equals: [64, 64] },
    },
    {
      id: 'ready',
      says: 'Then each sends a 43-byte READY command (Socket-Type DEALER or ROUTER, and an empty Identity).',
      observe: (r) => [r.facts.clientReadyBytes, r.facts.serverReadyBytes],
      expect: { equals: [43, 43] },
    },
    {
      id: 'disconnect',
      says: 'When the server closes, the client sees disconnect (ZMQ_EVENT_DISCONNECTED), then retries: connect:retry follows.',
      observe: (r) => {
        const after = r.facts.clientEventsAfterHandshake as string[];
        return after.slice(0, 1).concat(after.includes('connect:retry') ? ['connect:retry'] : []);
      },
      expect: { equals: ['disconnect', 'connect:retry'] },
    },
    {
      id: 'fin',
      says: 'The disconnect is caused by a FIN from the server.',
      fact: 'serverFin',
      expect: { equals: true },
    },
  ],
});

/** The greeting is the payload up to 64 bytes; the READY command is the next segment. */
function greetingAndReady<S extends 'client' | 'server'>(side: S, sizes: number[]) {
  let sum = 0;
  let i = 0;
  while (i < sizes.length && sum < 64) sum += sizes[i++];
  return { [`${side}GreetingBytes`]: sum, [`${side}ReadyBytes`]: sizes[i] } as Record<
    `${S}GreetingBytes` | `${S}ReadyBytes`,
    number | undefined
  >;
}
