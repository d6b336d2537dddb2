/**
 * A sender and a receiver joined by one veth pair (`clientServer()`), a capture on the sender,
 * `probes/stream.c` on both ends: the Segments chapter's labs and the Fragmentation chapter's
 * stream labs. The receiver reads only
 * when the lab signals it, after the sender reports everything acknowledged (TCP) or sent (UDP),
 * so each read shows how much one call hands over when everything is already queued.
 */
import { CLIENT, clientServer, SERVER } from './topology.ts';
import type { Host, LabContext, LabEvent, Packet } from './types.ts';

export const SENDER = CLIENT;
export const RECEIVER = SERVER;

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
  sender: Host;
  receiver: Host;
  packets: Packet[];
  connected: LabEvent;
  finished: LabEvent;
  reads: LabEvent[];
  received?: LabEvent;
  wrote: LabEvent[];
}

export async function streamScenario(ctx: LabContext, o: StreamOptions): Promise<StreamResult> {
  const {
    client: sender,
    server: receiver,
    capture,
    clientIf,
  } = await clientServer(ctx, { mtu: o.mtu, names: ['sender', 'receiver'] });
  if (o.gsoMaxSegs !== undefined) {
    await sender.run(['ip', 'link', 'set', 'dev', clientIf, 'gso_max_segs', String(o.gsoMaxSegs)]);
    ctx.note(sender, 'gso_max_segs', { dev: clientIf, value: o.gsoMaxSegs });
  }
  const reader = ctx.probe(receiver, 'probes/stream.c', [
    'recv',
    o.proto,
    RECEIVER,
    o.port,
    o.readBuffer,
    'signal',
  ]);
  await reader.waitFor('listening');
  const writer = ctx.probe(sender, 'probes/stream.c', [
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
    sender,
    receiver,
    packets,
    connected,
    finished,
    reads: reader.events.filter((e) => e.event === 'read'),
    wrote: writer.events.filter((e) => e.event === 'wrote'),
    ...(received ? { received } : {}),
  };
}
