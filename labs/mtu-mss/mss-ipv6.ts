import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcp } from '../_lib/packets.ts';
import { handshakeEach, mssFacts } from './_scenario.ts';

const PORT = 5202;
const MTUS = [1500, 1280] as const;

export default defineLab({
  title: 'IPv6 takes 20 more bytes',
  verifies:
    'Verify: over IPv6 the SYN advertises MSS = MTU − 40 (IPv6 header) − 20 (TCP header): 1440 on a 1500-byte link and 1220 on a 1280-byte link; snd_mss is 12 bytes less with timestamps.',
  takeaway:
    'Over IPv6 the MSS is the MTU minus 60, 20 bytes less than over IPv4 on the same link, and Linux removes IPv6 from an interface whose MTU drops below 1280 bytes.',
  probes: ['probes/stream.c'],
  run: async (ctx: LabContext) => {
    const client = await ctx.host('client', { ipv6: true });
    const servers = [];
    for (const [i, mtu] of MTUS.entries()) {
      const server = await ctx.host(`server${mtu}`, { ipv6: true });
      await ctx.link(client, server, {
        a: `2001:db8:${i + 1}::1/64`,
        b: `2001:db8:${i + 1}::2/64`,
        mtu,
        ifA: `mtu${mtu}`,
        ifB: `mtu${mtu}`,
      });
      servers.push({ server, addr: `2001:db8:${i + 1}::2` });
    }
    const capture = await ctx.capture(client);
    const connected = await handshakeEach(ctx, client, servers, PORT);
    const packets = await capture.stop();
    // IPv6 requires every link to carry 1280 bytes (RFC 8200 §5): below that, Linux takes IPv6
    // off the interface altogether.
    const v6Addrs = async () => {
      const [link] = JSON.parse(
        await client.run(['ip', '-j', '-6', 'addr', 'show', 'dev', 'mtu1280']),
      ) as Array<{ addr_info?: unknown[] }>;
      return link?.addr_info?.length ?? 0;
    };
    const addrsAt1280 = await v6Addrs();
    await client.run(['ip', 'link', 'set', 'dev', 'mtu1280', 'mtu', '1200']);
    const addrsAt1200 = await v6Addrs();
    const segs = tcp(packets);
    return {
      facts: {
        mtus: [...MTUS],
        ...mssFacts(packets, servers, connected),
        ipv6AddrsAt1280: addrsAt1280,
        ipv6AddrsAt1200: addrsAt1200,
        ipVersions: [...new Set(segs.map((p) => p.ip.version))],
      },
    };
  },
  claims: [
    {
      id: 'syn-mss',
      says: 'The IPv6 SYN MSS is MTU − 60: 1440 and 1220.',
      fact: 'synMss',
      expect: { equals: [1440, 1220] },
    },
    {
      id: 'synack-mss',
      says: 'The SYN-ACKs advertise the same.',
      fact: 'synAckMss',
      expect: { equals: [1440, 1220] },
    },
    {
      id: 'snd-mss',
      says: 'Payload per segment with timestamps: 1428 and 1208.',
      fact: 'sndMss',
      expect: { equals: [1428, 1208] },
    },
    {
      id: 'min-mtu',
      says: 'Lowering the link to MTU 1200, below IPv6’s minimum of 1280, strips the interface of its IPv6 addresses (2 before: global and link-local; 0 after).',
      observe: (r) => [r.facts.ipv6AddrsAt1280, r.facts.ipv6AddrsAt1200],
      expect: { equals: [2, 0] },
    },
    {
      id: 'ip-version',
      says: 'The handshakes ran over IPv6.',
      fact: 'ipVersions',
      expect: { equals: [6] },
    },
  ],
});
