import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { onPort, retransmissions } from '../_lib/packets.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';
import { release } from './_scenario.ts';

const PORT = 5104;
const TOTAL = 256 * 1024;
/** At least 64 KiB (read back 128 KiB), or the receiver never reopens the window on a 1500-byte link. */
const RCVBUF = 65536;
const SNDBUF = 32768;

const delta = (a: Record<string, number>, b: Record<string, number>, k: string) =>
  (b[k] ?? 0) - (a[k] ?? 0);

export default defineLab({
  title: 'TCP flow control: the receive window closes instead of overflowing',
  verifies:
    'Verify: with 256 KiB to send into a receiver with a 64 KiB SO_RCVBUF that is not reading, the receiver advertises a zero window, the sender blocks (EAGAIN) with the rest in its send buffer, and after the receiver starts reading all 256 KiB arrive intact with nothing dropped.',
  takeaway:
    'A TCP receiver that stops reading never overflows: its window closes to zero, the sender blocks, and every byte arrives intact once the receiver reads again.',
  probes: ['socket-options/tcpwindow.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);
    const before = { server: await counters(server), client: await counters(client) };
    const receiver = ctx.probe(server, 'socket-options/tcpwindow.c', [
      'receiver',
      SERVER,
      PORT,
      RCVBUF,
    ]);
    await receiver.waitFor('listening');
    const sender = ctx.probe(client, 'socket-options/tcpwindow.c', [
      'sender',
      SERVER,
      PORT,
      TOTAL,
      SNDBUF,
    ]);
    const blocked = await sender.waitFor('blocked');
    const zero = await sender.waitFor('zero-window');
    await release(receiver, 'accepted');
    const done = await receiver.waitFor('done', 15_000);
    await sender.exited;
    const packets = await capture.stop();
    const after = { server: await counters(server), client: await counters(client) };

    const segs = onPort(packets, PORT);
    const fromReceiver = segs.filter((p) => p.tcp.srcPort === PORT && !p.tcp.syn);
    const firstZero = fromReceiver.findIndex((p) => p.tcp.window === 0);
    const synAck = segs.find((p) => p.tcp.syn && p.tcp.ack);
    const scale = 2 ** (synAck?.tcp.options.wscale ?? 0);
    return {
      facts: {
        totalBytes: TOTAL,
        receiverWscale: synAck?.tcp.options.wscale,
        advertisedWindowsBytes: fromReceiver.map((p) => p.tcp.window * scale),
        zeroWindowSegments: fromReceiver.filter((p) => p.tcp.window === 0).length,
        windowReopened:
          firstZero >= 0 && fromReceiver.slice(firstZero).some((p) => p.tcp.window > 0),
        writtenWhenBlocked: blocked.written,
        writtenAtZeroWindow: zero.written,
        unackedAtZeroWindow: zero.unacked,
        notSentAtZeroWindow: zero.notsent,
        senderSawZeroWindow: true,
        bytesReceived: done.bytes,
        corruptBytes: done.corrupt,
        receiverDrops:
          delta(before.server, after.server, 'TcpExtTCPRcvQDrop') +
          delta(before.server, after.server, 'TcpExtTCPZeroWindowDrop'),
        zeroWindowAdvertisements: delta(before.server, after.server, 'TcpExtTCPToZeroWindowAdv'),
        // Tail loss probes may fire while the receiver sits on a full buffer; they lose nothing.
        retransmittedSegments: retransmissions(packets).length,
        senderRetransSegsCounter: delta(before.client, after.client, 'TcpRetransSegs'),
        senderLossProbes: delta(before.client, after.client, 'TcpExtTCPLossProbes'),
        receiverPruned: delta(before.server, after.server, 'TcpExtRcvPruned'),
        packetsCaptured: packets.length,
      },
    };
  },
  claims: [
    {
      id: 'zero-window',
      says: 'The receiver that does not read advertises a zero window.',
      fact: 'zeroWindowSegments',
      expect: { atLeast: 1 },
    },
    {
      id: 'sender-sees-zero',
      says: "The sender sees the peer's window at 0 (TCP_INFO snd_wnd) while it is blocked.",
      fact: 'senderSawZeroWindow',
      expect: { equals: true },
      kernelNote:
        'tcpi_snd_wnd is in TCP_INFO since Linux 5.4; older kernels stop the probe with ENOPROTOOPT',
    },
    {
      id: 'all-arrive',
      says: 'After the receiver reads again, every byte arrives.',
      fact: 'bytesReceived',
      expect: { equals: TOTAL },
    },
    {
      id: 'intact',
      says: 'No byte is corrupted or out of order.',
      fact: 'corruptBytes',
      expect: { equals: 0 },
    },
    {
      id: 'no-drops',
      says: 'The receiver drops nothing (TCPRcvQDrop and TCPZeroWindowDrop stay 0).',
      fact: 'receiverDrops',
      expect: { equals: 0 },
    },
    {
      id: 'window-reopens',
      says: 'The receiver announces the reopened window (a window update after the zero window).',
      fact: 'windowReopened',
      expect: { equals: true },
    },
  ],
});
