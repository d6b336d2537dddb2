import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcpSockets } from '../_lib/observe.ts';
import { flagSequence, onPort } from '../_lib/packets.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5000;

export default defineLab({
  title: 'The three-way handshake on a 1500-byte link',
  verifies:
    'Verify: connect() sends SYN, the listener answers SYN-ACK, the client ACKs; each side acknowledges the other ISN + 1; the SYN offers MSS 1460 (MTU 1500 − 40), sackOK, timestamps and a window scale; both ends reach ESTABLISHED.',
  takeaway:
    "A TCP connection opens with three segments: the server's SYN and its acknowledgement of the client's SYN travel together as the SYN-ACK. Each SYN takes one sequence number and carries the options that hold for the whole connection: an MSS derived from the route's MTU, SACK, timestamps and a window scale.",
  probes: ['probes/tcp-client.c', 'probes/tcp-server.c', 'probes/tcp_info.h'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);

    const listener = ctx.probe(server, 'probes/tcp-server.c', [SERVER, PORT, 16, 'accept']);
    await listener.waitFor('listening');
    const connector = ctx.probe(client, 'probes/tcp-client.c', [SERVER, PORT, 1, 5000]);
    const connected = await connector.waitFor('connected');
    await listener.waitFor('accepted');
    const serverSockets = await tcpSockets(server);
    const packets = await capture.stop();

    const [syn, synAck, ack] = onPort(packets, PORT);
    return {
      facts: {
        flags: flagSequence(packets),
        clientIsn: syn?.tcp.seq,
        serverIsn: synAck?.tcp.seq,
        synAckRelAck: synAck?.tcp.relAck,
        finalAckRelAck: ack?.tcp.relAck,
        synMss: syn?.tcp.options.mss,
        synAckMss: synAck?.tcp.options.mss,
        synOptionOrder: syn?.tcp.options.order,
        synWscale: syn?.tcp.options.wscale,
        synWindow: syn?.tcp.window,
        clientSndMss: connected.sndMss,
        clientState: connected.state,
        serverStates: serverSockets.map((s) => s.state).sort(),
        handshakeMs: synAck && ack ? Math.round((ack.t - syn.t) * 1e6) / 1e3 : undefined,
      },
    };
  },
  claims: [
    {
      id: 'flags',
      says: 'The handshake is three segments: SYN, SYN-ACK, ACK.',
      fact: 'flags',
      expect: { equals: ['S', 'S.', '.'] },
    },
    {
      id: 'synack-acks-isn',
      says: "The SYN-ACK acknowledges the client's ISN + 1 (relative ack 1).",
      fact: 'synAckRelAck',
      expect: { equals: 1 },
    },
    {
      id: 'ack-acks-isn',
      says: "The final ACK acknowledges the server's ISN + 1.",
      fact: 'finalAckRelAck',
      expect: { equals: 1 },
    },
    {
      id: 'syn-mss',
      says: 'The SYN advertises MSS = 1500 − 20 (IPv4) − 20 (TCP) = 1460.',
      fact: 'synMss',
      expect: { equals: 1460 },
    },
    {
      id: 'synack-mss',
      says: 'The SYN-ACK advertises the same 1460 from its own route.',
      fact: 'synAckMss',
      expect: { equals: 1460 },
    },
    {
      id: 'syn-options',
      says: 'Linux orders the SYN options mss, sackOK, TS, nop, wscale.',
      fact: 'synOptionOrder',
      expect: { equals: ['mss', 'sackOK', 'TS', 'nop', 'wscale'] },
    },
    {
      id: 'wscale',
      says: 'The window scale follows tcp_rmem max (6 MiB here → shift 7).',
      fact: 'synWscale',
      expect: { equals: 7 },
      kernelNote:
        'depends on net.ipv4.tcp_rmem max, which the lab pins to 6291456: the compiled default before Linux 6.16, which raised it to 32 MiB (shift 10)',
    },
    {
      id: 'snd-mss',
      says: 'With timestamps on, each segment carries 12 option bytes, so TCP_INFO snd_mss is 1448.',
      fact: 'clientSndMss',
      expect: { equals: 1448 },
    },
    {
      id: 'client-state',
      says: 'After connect() the client socket is ESTABLISHED (TCP_INFO).',
      fact: 'clientState',
      expect: { equals: 'ESTAB' },
    },
    {
      id: 'server-states',
      says: 'The server has its LISTEN socket plus one ESTABLISHED socket for the connection (ss).',
      fact: 'serverStates',
      expect: { equals: ['ESTAB', 'LISTEN'] },
    },
  ],
});
