import { defineLab } from '../_lib/define.ts';
import { counters } from '../_lib/observe.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import type { LabContext, LabEvent, Packet } from '../_lib/types.ts';
import { deltas } from './_scenario.ts';

const PORT = 5012;
/** The MSS the client offers (its route's advmss); the cookie can only say 1300 for it. */
const OFFERED_MSS = 1400;

export default defineLab({
  title: 'What a connection made from a SYN cookie keeps',
  verifies: `Verify: with tcp_syncookies = 2 every SYN is answered with a cookie and no request is kept. A client offering MSS ${OFFERED_MSS}: with timestamps on, the SYN-ACK carries all options and the connection keeps SACK and window scaling (Linux hides them in the timestamp), but the server's MSS toward the client is rounded down to 1300, one of the four values a cookie can encode; with timestamps off, the SYN-ACK carries only the MSS and the connection has neither SACK nor window scaling.`,
  takeaway:
    'A connection made from a SYN cookie gets its MSS rounded down to one of a few values the cookie can encode. It keeps SACK and window scaling only when both ends use timestamps, in which Linux hides those options.',
  probes: ['probes/tcp-server.c', 'probes/tcp-client.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture, clientIf } = await clientServer(ctx, {
      server: { 'net.ipv4.tcp_syncookies': '2' },
    });
    await client.run([
      'ip',
      'route',
      'replace',
      `${SERVER}/32`,
      'dev',
      clientIf,
      'advmss',
      String(OFFERED_MSS),
    ]);
    const listener = ctx.probe(server, 'probes/tcp-server.c', [SERVER, PORT, 16, 'accept']);
    await listener.waitFor('listening');
    const before = await counters(server);

    // The same client twice: timestamps on (the default), then off (a per-namespace sysctl).
    const connect = async (timestamps: '1' | '0', n: number) => {
      const setting = await client.sysctl('net.ipv4.tcp_timestamps', timestamps);
      const c = ctx.probe(client, 'probes/tcp-client.c', [SERVER, PORT, 1, 3000]);
      const connected = await c.waitFor('connected', 5000);
      const accepted = await listener.waitFor((e) => e.event === 'accepted' && --n === 0, 5000);
      return { setting, connected, accepted };
    };
    const withTs = await connect('1', 1);
    const withoutTs = await connect('0', 2);
    const packets = await capture.stop();
    const cookies = deltas(before, await counters(server), [
      'TcpExtSyncookiesSent',
      'TcpExtSyncookiesRecv',
      'TcpExtSyncookiesFailed',
    ]);

    const synAck = (sport: unknown) =>
      packets.find(
        (p: Packet) => p.tcp?.syn && p.tcp.ack && p.ip.dst === CLIENT && p.tcp.dstPort === sport,
      );
    const view = (c: { setting: string; connected: LabEvent; accepted: LabEvent }) => {
      const sa = synAck(c.connected.sport);
      return {
        clientTimestamps: c.setting,
        synAckOptions: sa?.tcp?.options.order,
        synAckMss: sa?.tcp?.options.mss,
        server: {
          timestamps: c.accepted.optTimestamps,
          sack: c.accepted.optSack,
          wscale: c.accepted.optWscale,
          sndMss: c.accepted.sndMss,
        },
        client: {
          timestamps: c.connected.optTimestamps,
          sack: c.connected.optSack,
          wscale: c.connected.optWscale,
        },
      };
    };
    const a = view(withTs);
    const b = view(withoutTs);
    return {
      facts: {
        offeredMss: packets.find((p) => p.tcp?.syn && !p.tcp.ack)?.tcp?.options.mss,
        cookiesSent: cookies.TcpExtSyncookiesSent,
        cookiesRecv: cookies.TcpExtSyncookiesRecv,
        cookiesFailed: cookies.TcpExtSyncookiesFailed,
        withTimestamps: a,
        withoutTimestamps: b,
        serverMssWithTs: a.server.sndMss,
        serverMssWithoutTs: b.server.sndMss,
        synAckOptionsWithoutTs: b.synAckOptions,
      },
    };
  },
  claims: [
    {
      id: 'offered',
      says: `The client offers MSS ${OFFERED_MSS} (its route's advmss).`,
      fact: 'offeredMss',
      expect: { equals: OFFERED_MSS },
    },
    {
      id: 'cookies',
      says: 'Both SYNs are answered with cookies, and both final ACKs are accepted as cookies.',
      observe: (r) => [r.facts.cookiesSent, r.facts.cookiesRecv, r.facts.cookiesFailed],
      expect: { equals: [2, 2, 0] },
    },
    {
      id: 'ts-options',
      says: 'With timestamps, the cookie SYN-ACK carries every option: mss, sackOK, TS, nop, wscale.',
      observe: (r) => r.facts.withTimestamps.synAckOptions,
      expect: { equals: ['mss', 'sackOK', 'TS', 'nop', 'wscale'] },
    },
    {
      id: 'ts-kept',
      says: "... and the server's socket keeps timestamps, SACK and window scaling (TCP_INFO).",
      observe: (r) => {
        const s = r.facts.withTimestamps.server;
        return [s.timestamps, s.sack, s.wscale];
      },
      expect: { equals: [true, true, true] },
    },
    {
      id: 'mss-rounded',
      says: `The server's MSS toward the client is 1300 − 12 bytes of timestamp option: the cookie rounded ${OFFERED_MSS} down to 1300.`,
      fact: 'serverMssWithTs',
      expect: { equals: 1288 },
    },
    {
      id: 'nots-options',
      says: 'Without timestamps, the cookie SYN-ACK carries the MSS option only.',
      fact: 'synAckOptionsWithoutTs',
      expect: { equals: ['mss'] },
    },
    {
      id: 'nots-lost',
      says: 'That connection has no SACK and no window scaling, on either end (TCP_INFO).',
      observe: (r) => {
        const b = r.facts.withoutTimestamps;
        return [b.server.sack, b.server.wscale, b.client.sack, b.client.wscale];
      },
      expect: { equals: [false, false, false, false] },
    },
    {
      id: 'nots-mss',
      says: 'Its MSS is rounded down the same way: 1300.',
      fact: 'serverMssWithoutTs',
      expect: { equals: 1300 },
    },
  ],
});
