/**
 * The two-host setup the UDP chapter's labs share: a client (198.51.100.1) and a server
 * (198.51.100.2) on one veth pair with MTU 1500, a capture on the client, and a way to wait for
 * the server's kernel to have processed N datagrams (its Udp counters), never a sleep.
 */
import type { Host, LabContext } from '../_lib/context.ts';
import { counters } from '../_lib/observe.ts';
import type { Capture } from '../_lib/context.ts';
import { waitUntil } from '../_lib/wait.ts';

export const CLIENT = '198.51.100.1';
export const SERVER = '198.51.100.2';

export interface Pair {
  client: Host;
  server: Host;
  capture: Capture;
}

export async function udpPair(
  ctx: LabContext,
  serverSysctls: Record<string, string> = {},
): Promise<Pair> {
  const client = await ctx.host('client');
  const server = await ctx.host('server', { sysctls: serverSysctls });
  await ctx.link(client, server, { a: `${CLIENT}/24`, b: `${SERVER}/24`, mtu: 1500 });
  const capture = await ctx.capture(client);
  return { client, server, capture };
}

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
