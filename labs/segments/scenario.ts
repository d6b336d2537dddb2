/**
 * The two-host scenario the Segments chapter's labs share: a sender and a receiver joined by one
 * veth pair, a capture on the sender, `segments/stream.c` on both ends. The receiver reads only
 * when the lab signals it, after the sender reports everything acknowledged (TCP) or sent (UDP),
 * so each read shows how much one call hands over when everything is already queued.
 */
import type { LabContext } from '../_lib/context.ts';
import type { LabEvent, Packet } from '../_lib/types.ts';

export const SENDER = '198.51.100.1';
export const RECEIVER = '198.51.100.2';

export interface StreamOptions {
  proto: 'tcp' | 'udp';
  port: number;
  /** Sizes of the sender's write()/send() calls, one call each. */
  writes: number[];
  /** Buffer size of each of the receiver's reads. */
  readBuffer: number;
  mtu?: number;
  /**
   * gso_max_segs of the sender's veth. 1 makes TCP build one segment per skb, so the capture
   * (which taps before any software segmentation) sees the segments as the receiver gets them.
   */
  gsoMaxSegs?: number;
  senderOptions?: string[];
}

export interface StreamResult {
  packets: Packet[];
  connected: LabEvent;
  finished: LabEvent;
  reads: LabEvent[];
  received?: LabEvent;
  wrote: LabEvent[];
}

export async function streamScenario(ctx: LabContext, o: StreamOptions): Promise<StreamResult> {
  const sender = await ctx.host('sender');
  const receiver = await ctx.host('receiver');
  const { ifA } = await ctx.link(sender, receiver, {
    a: `${SENDER}/24`,
    b: `${RECEIVER}/24`,
    mtu: o.mtu ?? 1500,
  });
  if (o.gsoMaxSegs !== undefined) {
    await sender.run(['ip', 'link', 'set', 'dev', ifA, 'gso_max_segs', String(o.gsoMaxSegs)]);
    ctx.note(sender, 'gso_max_segs', { dev: ifA, value: o.gsoMaxSegs });
  }
  const capture = await ctx.capture(sender);
  const reader = ctx.probe(receiver, 'segments/stream.c', [
    'recv',
    o.proto,
    RECEIVER,
    o.port,
    o.readBuffer,
    'signal',
  ]);
  await reader.waitFor('listening');
  const writer = ctx.probe(sender, 'segments/stream.c', [
    'send',
    o.proto,
    RECEIVER,
    o.port,
    o.writes.join(','),
    ...(o.senderOptions ?? []),
  ]);
  const connected = await writer.waitFor('connected');
  const finished = await writer.waitFor(o.proto === 'tcp' ? 'acked' : 'sent');
  // Everything is in the receiver's queue now: let it read.
  reader.signal('SIGUSR1');
  await reader.waitFor('drained', 5000);
  const received = o.proto === 'tcp' ? await reader.waitFor('received') : undefined;
  const packets = await capture.stop();
  return {
    packets,
    connected,
    finished,
    reads: reader.events.filter((e) => e.event === 'read'),
    wrote: writer.events.filter((e) => e.event === 'wrote'),
    ...(received ? { received } : {}),
  };
}
