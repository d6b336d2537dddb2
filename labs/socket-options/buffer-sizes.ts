import { defineLab } from '../_lib/define.ts';
import type { LabContext, LabEvent, LabRun } from '../_lib/types.ts';
import { onPort } from '../_lib/packets.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5103;
const SMALL_RCVBUF = 65536;

type SetEvent = LabEvent & {
  type: string;
  opt: string;
  requested: number;
  readBack?: number;
  errno?: string;
};

/** The read-back for one request, looked up by protocol, option and the request's name. */
const readBack = (r: LabRun, key: string) =>
  (r.facts.readBacks as Record<string, number | string>)[key];

export default defineLab({
  title: 'SO_RCVBUF and SO_SNDBUF: what the kernel really stores',
  verifies:
    'Verify: getsockopt() reads back twice the SO_RCVBUF/SO_SNDBUF requested, for TCP and UDP alike; a request above net.core.rmem_max/wmem_max is silently capped at twice the limit; SO_RCVBUFFORCE ignores the limit but needs CAP_NET_ADMIN (EPERM without); a 64 KiB SO_RCVBUF set before connect() makes the SYN advertise a smaller window scale than the default.',
  takeaway:
    'The kernel stores twice the SO_RCVBUF or SO_SNDBUF you ask for, silently capped at twice rmem_max or wmem_max. SO_RCVBUFFORCE passes the cap only with CAP_NET_ADMIN, and a small SO_RCVBUF set before connect() also lowers the window scale the SYN offers.',
  probes: ['socket-options/bufsizes.c', 'probes/tcp_info.h'],
  run: async (ctx: LabContext) => {
    const { client, server } = await clientServer(ctx, { capture: false });
    // Global values: a network namespace shows them read-only since Linux 6.11, not at all before
    // ("(absent)"). Without them the probe derives each limit from what an INT_MAX request gets.
    const coreSysctls = {
      rmemMax: await client.readSysctl('net.core.rmem_max'),
      wmemMax: await client.readSysctl('net.core.wmem_max'),
      rmemDefault: await client.readSysctl('net.core.rmem_default'),
    };
    const numeric = (v: string) => (/^\d+$/.test(v) ? Number(v) : undefined);
    const sizes = ctx.probe(client, 'socket-options/bufsizes.c', [
      'sizes',
      numeric(coreSysctls.rmemMax) ?? 0,
      numeric(coreSysctls.wmemMax) ?? 0,
    ]);
    await sizes.exited;
    const derived = (opt: string) =>
      sizes.events.find((e) => e.event === 'limit' && e.opt === opt)?.derived as number | undefined;
    const rmemMax = numeric(coreSysctls.rmemMax) ?? derived('SO_RCVBUF') ?? NaN;
    const wmemMax = numeric(coreSysctls.wmemMax) ?? derived('SO_SNDBUF') ?? NaN;
    const rmemDefault = numeric(coreSysctls.rmemDefault);
    const names: Record<number, string> = {
      1: '1',
      65536: '64KiB',
      [rmemMax]: 'max',
      [4 * rmemMax]: '4×max',
    };
    const namesSnd: Record<number, string> = {
      1: '1',
      65536: '64KiB',
      [wmemMax]: 'max',
      [4 * wmemMax]: '4×max',
    };
    const readBacks: Record<string, number | string | undefined> = {};
    let dropped = false;
    for (const e of sizes.events) {
      if (e.event === 'dropped-cap') dropped = true;
      if (e.event !== 'set') continue;
      const s = e as SetEvent;
      const label =
        s.opt === 'SO_RCVBUFFORCE'
          ? dropped
            ? ' without CAP_NET_ADMIN'
            : ''
          : ` ${(s.opt === 'SO_SNDBUF' ? namesSnd : names)[s.requested]}`;
      readBacks[`${s.type} ${s.opt}${label}`] = s.readBack ?? s.errno;
    }
    const defaults = Object.fromEntries(
      sizes.events
        .filter((e) => e.event === 'default')
        .map((e) => [e.type as string, { rcvbuf: e.rcvbuf, sndbuf: e.sndbuf }]),
    );

    const capture = await ctx.capture(client);
    const listener = ctx.probe(server, 'socket-options/bufsizes.c', ['server', SERVER, PORT]);
    await listener.waitFor('listening');
    const plain = ctx.probe(client, 'socket-options/bufsizes.c', ['client', SERVER, PORT, 0]);
    const plainInfo = await plain.waitFor('connected');
    await plain.exited;
    const small = ctx.probe(client, 'socket-options/bufsizes.c', [
      'client',
      SERVER,
      PORT,
      SMALL_RCVBUF,
    ]);
    const smallInfo = await small.waitFor('connected');
    await small.exited;
    const packets = await capture.stop();

    const syn = (sport: number) =>
      onPort(packets, PORT).find((p) => p.tcp.syn && !p.tcp.ack && p.tcp.srcPort === sport);
    const synPlain = syn(Number(plainInfo.sport));
    const synSmall = syn(Number(smallInfo.sport));
    return {
      sysctls: {
        'client:net.core.rmem_max': coreSysctls.rmemMax,
        'client:net.core.wmem_max': coreSysctls.wmemMax,
        'client:net.core.rmem_default': coreSysctls.rmemDefault,
      },
      facts: {
        coreSysctls,
        rmemMax,
        wmemMax,
        limitsFrom: numeric(coreSysctls.rmemMax) === undefined ? 'INT_MAX requests' : 'sysctl',
        rmemDefault: rmemDefault ?? coreSysctls.rmemDefault,
        tcpDefaults: defaults.tcp,
        udpDefaults: defaults.udp,
        udpDefaultRcvbuf: (defaults.udp as { rcvbuf: number } | undefined)?.rcvbuf,
        readBacks,
        tcpRcvbuf64KiB: readBacks['tcp SO_RCVBUF 64KiB'],
        tcpSndbuf64KiB: readBacks['tcp SO_SNDBUF 64KiB'],
        requestedOverMax: 4 * rmemMax,
        cappedRcvbuf: readBacks['tcp SO_RCVBUF 4×max'],
        forceReadBack: readBacks['udp SO_RCVBUFFORCE'],
        forceWithoutCapNetAdmin: readBacks['udp SO_RCVBUFFORCE without CAP_NET_ADMIN'],
        minRcvbuf: readBacks['tcp SO_RCVBUF 1'],
        minSndbuf: readBacks['tcp SO_SNDBUF 1'],
        synWscaleDefault: synPlain?.tcp.options.wscale,
        synWindowDefault: synPlain?.tcp.window,
        synWscaleSmall: synSmall?.tcp.options.wscale,
        synWindowSmall: synSmall?.tcp.window,
        smallRcvbufReadBack: smallInfo.rcvbuf,
        rcvWscaleTcpInfo: { default: plainInfo.rcvWscale, small: smallInfo.rcvWscale },
      },
    };
  },
  claims: [
    {
      id: 'tcp-rcv-double',
      says: 'TCP: SO_RCVBUF 65536 reads back as 131072.',
      observe: (r) => readBack(r, 'tcp SO_RCVBUF 64KiB'),
      expect: { equals: 131072 },
    },
    {
      id: 'tcp-snd-double',
      says: 'TCP: SO_SNDBUF 65536 reads back as 131072.',
      observe: (r) => readBack(r, 'tcp SO_SNDBUF 64KiB'),
      expect: { equals: 131072 },
    },
    {
      id: 'udp-rcv-double',
      says: 'UDP doubles the same way: SO_RCVBUF 65536 reads back as 131072.',
      observe: (r) => readBack(r, 'udp SO_RCVBUF 64KiB'),
      expect: { equals: 131072 },
    },
    {
      id: 'rcv-cap',
      says: 'A request of 4 × rmem_max reads back as exactly 2 × rmem_max: capped, without an error.',
      observe: (r) => Number(readBack(r, 'tcp SO_RCVBUF 4×max')) / Number(r.facts.rmemMax),
      expect: { equals: 2 },
      kernelNote:
        'rmem_max is read inside the lab namespace, where Linux shows it (read-only) since 6.11; on older kernels it is absent there and the lab takes the cap an INT_MAX request meets instead (limitsFrom)',
    },
    {
      id: 'snd-cap',
      says: 'SO_SNDBUF is capped the same way at 2 × wmem_max.',
      observe: (r) => Number(readBack(r, 'tcp SO_SNDBUF 4×max')) / Number(r.facts.wmemMax),
      expect: { equals: 2 },
      kernelNote: 'wmem_max: as rmem_max',
    },
    {
      id: 'tcp-defaults',
      says: 'A new TCP socket starts from tcp_rmem[1] and tcp_wmem[1] (131072 and 16384 here), not from rmem_default.',
      fact: 'tcpDefaults',
      expect: { equals: { rcvbuf: 131072, sndbuf: 16384 } },
      kernelNote:
        'follows net.ipv4.tcp_rmem / tcp_wmem, which the labs pin to 4096 131072 6291456 / 4096 16384 4194304 (the middle values are the compiled defaults of every release)',
    },
    {
      id: 'udp-default',
      says: 'A new UDP socket starts from net.core.rmem_default.',
      observe: (r) =>
        typeof r.facts.rmemDefault === 'number'
          ? r.facts.udpDefaultRcvbuf === r.facts.rmemDefault
          : r.facts.rmemDefault,
      expect: { equals: true },
      kernel: {
        since: '6.11',
        before: { equals: '(absent)' },
        change:
          'net.core.rmem_default is shown (read-only) inside a network namespace since "net: make net.core.{r,w}mem_{default,max} namespaced" (19249c0724f2); before, the lab cannot read it',
      },
    },
    {
      id: 'force-eperm',
      says: 'Without CAP_NET_ADMIN, SO_RCVBUFFORCE fails with EPERM.',
      observe: (r) => readBack(r, 'udp SO_RCVBUFFORCE without CAP_NET_ADMIN'),
      expect: { equals: 'EPERM' },
    },
    {
      id: 'force-root',
      says: 'With CAP_NET_ADMIN in the initial user namespace (root), SO_RCVBUFFORCE passes rmem_max and still doubles; in a user namespace it fails with EPERM.',
      observe: (r) =>
        r.privilege === 'root'
          ? Number(readBack(r, 'udp SO_RCVBUFFORCE')) / Number(r.facts.rmemMax)
          : readBack(r, 'udp SO_RCVBUFFORCE') === 'EPERM'
            ? 8
            : 0,
      expect: { equals: 8 },
      kernelNote: 'the check is capable(CAP_NET_ADMIN), against the initial user namespace',
    },
    {
      id: 'syn-wscale-default',
      says: 'With the default buffer, the SYN advertises window scale 7 (from tcp_rmem max, 6 MiB).',
      fact: 'synWscaleDefault',
      expect: { equals: 7 },
      kernelNote:
        'tcp_rmem max is pinned to 6291456, the compiled default up to 6.15; the 33554432 default of 6.16+ (or a host value a new namespace copies) gives wscale 10',
    },
    {
      id: 'syn-wscale-small',
      says: 'With SO_RCVBUF 65536 set before connect(), the SYN advertises window scale 1: the scale is sized for the window the locked buffer can hold, not for tcp_rmem max.',
      fact: 'synWscaleSmall',
      expect: { equals: 1 },
      kernelNote:
        'the window a buffer can hold is a fraction of it (tcp_win_from_space); kernels before 6.6 used tcp_adv_win_scale, later ones a measured scaling_ratio',
    },
  ],
});
