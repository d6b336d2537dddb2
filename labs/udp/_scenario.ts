/**
 * What the UDP chapter's labs share besides `clientServer()`: a way to wait for the server's
 * kernel to have processed N datagrams (its Udp counters), never a sleep.
 */
import { counters } from '../_lib/observe.ts';
import type { Host } from '../_lib/types.ts';
import { waitUntil } from '../_lib/wait.ts';

/**
 * Resolves with the host's counters once IP has handed n packets to the transport layer (Ip
 * InDelivers): each datagram is then queued on a socket or dropped. (Udp InDatagrams counts only
 * datagrams an application has read, in udp_recvmsg(), so it cannot tell arrival.)
 */
export async function udpSettled(
  host: Host,
  n: number,
  timeoutMs = 10_000,
): Promise<Record<string, number>> {
  let c: Record<string, number> = {};
  await waitUntil(
    `${n} datagrams delivered in ${host.name}`,
    async () => {
      c = await counters(host);
      return (c.IpInDelivers ?? 0) >= n;
    },
    timeoutMs,
  );
  return c;
}
