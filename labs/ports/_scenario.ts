/**
 * The Ports chapter's shared setup: a client (198.51.100.1) and a server (198.51.100.2, plus
 * 198.51.100.3 where a lab needs a second local address) on one veth pair, a capture on the
 * client, and a wait for the n-th event of a kind from a set of probes.
 */
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import type { Capture, Host, LabContext, LabEvent, Probe } from '../_lib/types.ts';
import { waitUntil } from '../_lib/wait.ts';

export { CLIENT, SERVER };
export const SERVER_2 = '198.51.100.3';

export async function portsPair(
  ctx: LabContext,
  opts: { clientSysctls?: Record<string, string>; secondServerAddress?: boolean } = {},
): Promise<{ client: Host; server: Host; capture: Capture }> {
  const { client, server, capture, clientIf, serverIf } = await clientServer(ctx, {
    client: opts.clientSysctls,
  });
  if (opts.secondServerAddress) {
    await server.run(['ip', 'addr', 'add', `${SERVER_2}/24`, 'dev', serverIf]);
    server.addrs.push(SERVER_2);
    // A permanent neighbour entry for the second address too: no ARP in the capture.
    const [link] = JSON.parse(
      await server.run(['ip', '-j', 'link', 'show', 'dev', serverIf]),
    ) as Array<{
      address: string;
    }>;
    await client.run([
      'ip',
      'neigh',
      'replace',
      SERVER_2,
      'lladdr',
      link.address,
      'dev',
      clientIf,
      'nud',
      'permanent',
    ]);
  }
  return { client, server, capture };
}

/** Resolves once the probes together have printed n events of that name. */
export async function waitForCount(
  probes: Probe[],
  event: string,
  n: number,
  timeoutMs = 10_000,
): Promise<LabEvent[]> {
  const seen = () => probes.flatMap((p) => p.events.filter((e) => e.event === event));
  await waitUntil(`${n} "${event}" events`, () => seen().length >= n, timeoutMs);
  return seen();
}
