import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcp } from '../_lib/packets.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5205;
const ADVMSS = 536;
const SIZE = 1400;

export default defineLab({
  title: 'A segment larger than the MSS is still accepted',
  verifies:
    'Verify: a server whose SYN-ACK advertised MSS 536 receives a hand-made, in-sequence 1400-byte segment (IP length 1440, within the 1500-byte MTU), acknowledges all 1400 bytes and read() returns them: exceeding the MSS is the sender breaking a promise, not a reason for the receiver to drop.',
  takeaway:
    'Linux accepts and delivers a segment larger than the MSS it advertised, as long as it fits the window: the MSS is a limit the sender keeps, not one the receiver enforces.',
  probes: ['mtu-mss/oversize.c', 'probes/stream.c'],
  run: async (ctx: LabContext) => {
    // No timestamps: the crafted segment carries no options and must still be valid.
    const noTimestamps = { 'net.ipv4.tcp_timestamps': '0' };
    const { client, server, capture, serverIf } = await clientServer(ctx, {
      client: noTimestamps,
      server: noTimestamps,
    });
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
      'now',
    ]);
    await reader.waitFor('listening');
    const crafter = ctx.probe(client, 'mtu-mss/oversize.c', [SERVER, PORT, SIZE]);
    const connected = await crafter.waitFor('connected');
    await crafter.waitFor('done');
    const read = await reader.waitFor('read');
    const packets = await capture.stop();

    const segs = tcp(packets);
    const crafted = segs.find((p) => p.ip.src === CLIENT && p.tcp.payloadLength > 0);
    const ack = segs.filter((p) => p.ip.src === SERVER && !p.tcp.syn && p.tcp.ack).at(-1);
    return {
      facts: {
        synMss: segs.find((p) => p.tcp.syn && !p.tcp.ack)?.tcp.options.mss,
        synAckMss: segs.find((p) => p.tcp.syn && p.tcp.ack)?.tcp.options.mss,
        clientSndMss: connected.sndMss,
        craftedPayload: crafted?.tcp.payloadLength,
        craftedIpLength: crafted?.ip.length,
        serverAck: ack?.tcp.relAck,
        serverReads: [read.copied],
      },
    };
  },
  claims: [
    {
      id: 'advertised',
      says: 'The server’s SYN-ACK advertises MSS 536 (route advmss 536).',
      fact: 'synAckMss',
      expect: { equals: ADVMSS },
    },
    {
      id: 'client-obeys',
      says: 'The client’s own TCP would never send more than 536 bytes per segment (TCP_INFO snd_mss).',
      fact: 'clientSndMss',
      expect: { equals: ADVMSS },
    },
    {
      id: 'oversize-on-wire',
      says: 'The hand-made segment carries 1400 bytes, 2.6 times the advertised MSS.',
      fact: 'craftedPayload',
      expect: { equals: SIZE },
    },
    {
      id: 'acked',
      says: 'The server acknowledges all of it: relative ack 1401.',
      fact: 'serverAck',
      expect: { equals: SIZE + 1 },
    },
    {
      id: 'read',
      says: 'The server application reads the 1400 bytes in one read().',
      fact: 'serverReads',
      expect: { equals: [SIZE] },
    },
  ],
});
