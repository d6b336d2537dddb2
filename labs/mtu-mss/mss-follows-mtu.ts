import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { handshakeEach, mssFacts } from './_scenario.ts';

const PORT = 5201;
const MTUS = [1500, 9000, 1280] as const;

export default defineLab({
  title: 'The SYN advertises the route MTU minus 40',
  verifies:
    'Verify: one client with three links of MTU 1500, 9000 and 1280 advertises MSS 1460, 8960 and 1240 in the SYNs it sends over them; each server answers with the same value from its own link, and TCP_INFO snd_mss is 12 bytes less (timestamp option).',
  takeaway:
    'A SYN advertises the MTU of the route it leaves by minus 40 bytes of IPv4 and TCP headers, and with timestamps on each segment carries 12 bytes less payload than that.',
  probes: ['probes/stream.c'],
  run: async (ctx: LabContext) => {
    const client = await ctx.host('client');
    const servers = [];
    for (const [i, mtu] of MTUS.entries()) {
      const server = await ctx.host(`server${mtu}`);
      // Three /26 subnets of 198.51.100.0/24, one per link.
      const base = i * 64;
      await ctx.link(client, server, {
        a: `198.51.100.${base + 1}/26`,
        b: `198.51.100.${base + 2}/26`,
        mtu,
        ifA: `mtu${mtu}`,
        ifB: `mtu${mtu}`,
      });
      servers.push({ server, addr: `198.51.100.${base + 2}`, mtu });
    }
    const capture = await ctx.capture(client);
    const connected = await handshakeEach(ctx, client, servers, PORT);
    const packets = await capture.stop();
    return {
      facts: {
        mtus: [...MTUS],
        ...mssFacts(packets, servers, connected),
        advmss: connected.map((e) => e.advmss),
      },
    };
  },
  claims: [
    {
      id: 'syn-mss',
      says: 'The SYN MSS is MTU − 20 (IPv4 header) − 20 (TCP header): 1460, 8960, 1240.',
      fact: 'synMss',
      expect: { equals: [1460, 8960, 1240] },
    },
    {
      id: 'synack-mss',
      says: 'Each SYN-ACK advertises the same value, computed from the server’s own link.',
      fact: 'synAckMss',
      expect: { equals: [1460, 8960, 1240] },
    },
    {
      id: 'snd-mss',
      says: 'The payload per segment is 12 bytes less (TCP timestamps ride in every segment): 1448, 8948, 1228.',
      fact: 'sndMss',
      expect: { equals: [1448, 8948, 1228] },
    },
    {
      id: 'pmtu',
      says: 'TCP_INFO pmtu reports each route’s MTU.',
      fact: 'pmtu',
      expect: { equals: [1500, 9000, 1280] },
    },
  ],
});
