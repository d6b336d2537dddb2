import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcp } from '../_lib/packets.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5203;
const MAXSEG = 1400;
const ADVMSS = 1100;
const BYTES = 6000;

export default defineLab({
  title: 'TCP_MAXSEG and advmss clamp the MSS',
  verifies:
    'Verify: on a 1500-byte link, a client with TCP_MAXSEG 1400 advertises MSS 1400 and a server whose route to the client has advmss 1100 advertises 1100; the client then sends at most 1088-byte payloads (1100 − 12) and the server at most 1388 (1400 − 12): each direction is bounded by the receiver’s advertisement.',
  takeaway:
    "TCP_MAXSEG set before connect() and a route's advmss each lower the MSS an end advertises, and each direction then sends at most what its receiver advertised, so the two directions can use different segment sizes.",
  probes: ['probes/stream.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture, clientIf, serverIf } = await clientServer(ctx);
    // One segment per skb on both ends, so the capture shows segments rather than GSO batches.
    await client.run(['ip', 'link', 'set', 'dev', clientIf, 'gso_max_segs', '1']);
    await server.run(['ip', 'link', 'set', 'dev', serverIf, 'gso_max_segs', '1']);
    await server.run([
      'ip',
      'route',
      'add',
      `${CLIENT}/32`,
      'dev',
      serverIf,
      'advmss',
      String(ADVMSS),
    ]);
    const reader = ctx.probe(server, 'probes/stream.c', [
      'recv',
      'tcp',
      SERVER,
      PORT,
      65536,
      'signal',
      `send=${BYTES}`,
    ]);
    await reader.waitFor('listening');
    const writer = ctx.probe(client, 'probes/stream.c', [
      'send',
      'tcp',
      SERVER,
      PORT,
      BYTES,
      `maxseg=${MAXSEG}`,
    ]);
    await writer.waitFor('connected');
    const acked = await writer.waitFor('acked');
    reader.signal('SIGUSR1');
    const drained = await reader.waitFor('drained');
    const received = await reader.waitFor('received');
    const packets = await capture.stop();

    const segs = tcp(packets);
    const maxPayload = (src: string) =>
      Math.max(...segs.filter((p) => p.ip.src === src).map((p) => p.tcp.payloadLength));
    const serverBytes = segs
      .filter((p) => p.ip.src === SERVER)
      .reduce((n, p) => n + p.tcp.payloadLength, 0);
    return {
      facts: {
        synMss: segs.find((p) => p.tcp.syn && !p.tcp.ack)?.tcp.options.mss,
        synAckMss: segs.find((p) => p.tcp.syn && p.tcp.ack)?.tcp.options.mss,
        clientMaxPayload: maxPayload(CLIENT),
        serverMaxPayload: maxPayload(SERVER),
        clientPayloads: segs
          .filter((p) => p.ip.src === CLIENT && p.tcp.payloadLength)
          .map((p) => p.tcp.payloadLength),
        serverPayloads: segs
          .filter((p) => p.ip.src === SERVER && p.tcp.payloadLength)
          .map((p) => p.tcp.payloadLength),
        sndMss: [acked.sndMss, received.sndMss],
        advmss: [acked.advmss, received.advmss],
        // What the server read, and what the client's side of the capture saw the server send.
        received: [drained.total, serverBytes],
      },
    };
  },
  claims: [
    {
      id: 'syn-mss',
      says: 'TCP_MAXSEG 1400, set before connect(), replaces the 1460 the link would give in the SYN.',
      fact: 'synMss',
      expect: { equals: MAXSEG },
    },
    {
      id: 'synack-mss',
      says: 'The route’s advmss 1100 sets what the SYN-ACK advertises.',
      fact: 'synAckMss',
      expect: { equals: ADVMSS },
    },
    {
      id: 'client-sends',
      says: 'Client → server segments carry at most 1088 bytes: the server’s 1100 minus 12 of timestamps.',
      fact: 'clientMaxPayload',
      expect: { equals: ADVMSS - 12 },
    },
    {
      id: 'server-sends',
      says: 'Server → client segments carry at most 1388 bytes: the client’s 1400 minus 12. The two directions differ.',
      fact: 'serverMaxPayload',
      expect: { equals: MAXSEG - 12 },
    },
    {
      id: 'snd-mss',
      says: 'TCP_INFO snd_mss agrees on both ends: [client, server].',
      fact: 'sndMss',
      expect: { equals: [ADVMSS - 12, MAXSEG - 12] },
    },
    {
      id: 'all-bytes',
      says: 'All 6000 bytes cross each way: the server reads 6000, and the capture sees 6000 from the server.',
      fact: 'received',
      expect: { equals: [BYTES, BYTES] },
    },
  ],
});
