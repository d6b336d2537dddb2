import type { Host, LabContext } from '../_lib/types.ts';
import { defineLab } from '../_lib/define.ts';

/** One row of the reference. `kernelDefault` is the documented default (ip-sysctl.rst, source). */
interface Entry {
  key: string;
  unit: string;
  kernelDefault: string;
  notes?: string;
  /** Where the site shows the sysctl at work. */
  lab?: string;
}

const ENTRIES: Entry[] = [
  // 1000: net_hotdata.max_backlog in net/core/hotdata.c (netdev_max_backlog in net/core/dev.c before 6.9).
  {
    key: 'net.core.netdev_max_backlog',
    unit: 'packets per CPU',
    kernelDefault: '1000',
    notes: '2000',
  },
  {
    key: 'net.ipv4.tcp_mem',
    unit: 'pages (low pressure high)',
    kernelDefault: 'computed at boot from RAM',
    notes: 'in pages',
  },
  {
    key: 'net.ipv4.tcp_retries1',
    unit: 'retransmissions (converted to time)',
    kernelDefault: '3',
    notes: '3',
  },
  {
    key: 'net.ipv4.tcp_retries2',
    unit: 'retransmissions (converted to time)',
    kernelDefault: '15',
    notes: '15, "13 to 30 minutes"',
    lab: 'reachability',
  },
  {
    key: 'net.ipv4.tcp_window_scaling',
    unit: 'boolean',
    kernelDefault: '1',
    notes: 'enabled',
    lab: 'handshakes/three-way-handshake',
  },
  {
    key: 'net.ipv4.tcp_fin_timeout',
    unit: 'seconds',
    kernelDefault: '60',
    notes: '60',
    lab: 'teardown',
  },
  {
    key: 'net.core.somaxconn',
    unit: 'connections (listen() backlog cap)',
    kernelDefault: '4096',
    lab: 'handshakes/accept-queue-overflow',
  },
  { key: 'net.core.rmem_default', unit: 'bytes', kernelDefault: '212992' },
  { key: 'net.core.rmem_max', unit: 'bytes', kernelDefault: '—', lab: 'socket-options' },
  { key: 'net.core.wmem_default', unit: 'bytes', kernelDefault: '212992' },
  { key: 'net.core.wmem_max', unit: 'bytes', kernelDefault: '—', lab: 'socket-options' },
  {
    key: 'net.ipv4.tcp_rmem',
    unit: 'bytes (min default max)',
    kernelDefault: '4096 131072 6291456',
    notes: '4096 10179648 268435456 (tuned)',
    lab: 'flow-control',
  },
  {
    key: 'net.ipv4.tcp_wmem',
    unit: 'bytes (min default max)',
    kernelDefault: '4096 16384 4194304',
    lab: 'flow-control',
  },
];

/** TCP_RTO_MIN, TCP_RTO_MAX in seconds (include/net/tcp.h); tcp_rto_max_ms may lower the max on ≥ 6.15. */
const RTO_MIN_S = 0.2;
const RTO_MAX_S = 120;

/** tcp_model_timeout() in net/ipv4/tcp_timer.c: the time budget `boundary` retransmissions get. */
export function modelTimeoutS(boundary: number, rtoBase = RTO_MIN_S, rtoMax = RTO_MAX_S): number {
  const thresh = Math.floor(Math.log2(rtoMax / rtoBase));
  const t =
    boundary <= thresh
      ? ((2 << boundary) - 1) * rtoBase
      : ((2 << thresh) - 1) * rtoBase + (boundary - thresh) * rtoMax;
  return Math.round(t * 1000) / 1000;
}

const clean = (s: string) => s.trim().replace(/\s+/g, ' ');

export default defineLab({
  title: 'The sysctls of the notes, read live',
  verifies:
    'Verify: each sysctl the notes mention has the kernel default documented in ip-sysctl.rst in a fresh network namespace; netdev_max_backlog and tcp_mem are global and invisible inside a namespace, while the others are per network namespace (a nested namespace may write them); tcp_retries2=15 gives up after 924.6 s.',
  probes: [],
  run: async (ctx: LabContext) => {
    const host = await ctx.host('probe');
    // Nothing is sent; the (empty) capture is the recording's proof of that.
    const capture = await ctx.capture(host);
    // Real root would map root to root in a nested user namespace and could then write the
    // host's global sysctls: run the nested namespace as nobody instead, so nothing global can change.
    const uidMap = clean(await host.run(['cat', '/proc/self/uid_map']));
    const realRoot = /^0 0 /.test(uidMap);
    const nested = (argv: string[]) =>
      realRoot
        ? [
            'setpriv',
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            'unshare',
            '--user',
            '--map-root-user',
            '--net',
            ...argv,
          ]
        : ['unshare', '--user', '--map-root-user', '--net', ...argv];
    const nestedUidMap = clean(await host.run(nested(['cat', '/proc/self/uid_map'])));
    if (/^0 0 /.test(nestedUidMap))
      throw new Error('nested namespace maps root to root: refusing to test writes');
    const pageSize = Number(clean(await host.run(['getconf', 'PAGESIZE'])));

    const rows = [];
    for (const e of ENTRIES) {
      const lab = await host.readSysctl(e.key);
      const fresh = clean(await tryRead(host, nested(['sysctl', '-n', e.key])));
      const write = await tryWrite(host, nested(['sysctl', '-w', `${e.key}=${fresh}`]));
      rows.push({
        key: e.key,
        unit: e.unit,
        kernelDefault: e.kernelDefault,
        fresh,
        lab,
        perNetns: write.ok,
        writeError: write.ok ? undefined : write.error,
        notes: e.notes ?? '',
        shownIn: e.lab ?? '',
      });
    }
    await capture.stop();
    return {
      inherentWaitS: 0,
      facts: {
        rows,
        nestedUidMap,
        pageSize,
        retries1TimeoutS: modelTimeoutS(3),
        retries2TimeoutS: modelTimeoutS(15),
        retries2Retransmissions: 15,
      },
    };
  },
  claims: [
    {
      id: 'global-hidden',
      says: 'netdev_max_backlog and tcp_mem are global: a network namespace does not even see them (only the initial namespace has them).',
      observe: (r) =>
        ['net.core.netdev_max_backlog', 'net.ipv4.tcp_mem'].map((k) => row(r, k)?.lab),
      expect: { equals: ['(absent)', '(absent)'] },
      kernelNote: 'older kernels showed read-only copies of global values inside namespaces',
    },
    {
      id: 'defaults',
      says: 'The per-namespace TCP knobs start at their documented defaults: retries1 3, retries2 15, window scaling 1, fin_timeout 60, somaxconn 4096.',
      observe: (r) =>
        [
          'net.ipv4.tcp_retries1',
          'net.ipv4.tcp_retries2',
          'net.ipv4.tcp_window_scaling',
          'net.ipv4.tcp_fin_timeout',
          'net.core.somaxconn',
        ].map((k) => row(r, k)?.fresh),
      expect: { equals: ['3', '15', '1', '60', '4096'] },
      kernelNote: 'somaxconn was 128 before Linux 5.4',
    },
    {
      id: 'per-netns',
      says: 'Every other sysctl of the notes is per network namespace: a nested namespace may write it.',
      observe: (r) => perNetns(r, true),
      expect: {
        equals: [
          'net.core.rmem_default',
          'net.core.rmem_max',
          'net.core.somaxconn',
          'net.core.wmem_default',
          'net.core.wmem_max',
          'net.ipv4.tcp_fin_timeout',
          'net.ipv4.tcp_retries1',
          'net.ipv4.tcp_retries2',
          'net.ipv4.tcp_rmem',
          'net.ipv4.tcp_window_scaling',
          'net.ipv4.tcp_wmem',
        ],
      },
      kernelNote:
        'net.core.rmem_*/wmem_* are per namespace only on recent kernels (global, read-only copies before)',
    },
    {
      id: 'retries2-time',
      says: 'tcp_retries2=15 means 1023 × 0.2 s + 6 × 120 s = 924.6 s after the first retransmission (about 15.4 minutes), not "13 to 30 minutes".',
      fact: 'retries2TimeoutS',
      expect: { equals: 924.6 },
    },
    {
      id: 'retries1-time',
      says: 'tcp_retries1=3 means the route is re-checked after (2⁴ − 1) × 0.2 s = 3 s of retransmissions.',
      fact: 'retries1TimeoutS',
      expect: { equals: 3 },
    },
  ],
});

type Row = { key: string; fresh: string; lab: string; perNetns: boolean };
function row(r: { facts: Record<string, unknown> }, key: string): Row | undefined {
  return (r.facts.rows as Row[] | undefined)?.find((x) => x.key === key);
}
function perNetns(r: { facts: Record<string, unknown> }, yes: boolean): string[] {
  return ((r.facts.rows as Row[] | undefined) ?? [])
    .filter((x) => x.perNetns === yes)
    .map((x) => x.key)
    .sort();
}

/** `host.run(argv)`'s output, or "(unreadable)" when it fails. */
async function tryRead(host: Host, argv: string[]): Promise<string> {
  try {
    return await host.run(argv);
  } catch {
    return '(unreadable)';
  }
}

/** Whether `host.run(argv)` succeeds, with the last line of its error when it does not. */
async function tryWrite(host: Host, argv: string[]): Promise<{ ok: boolean; error?: string }> {
  try {
    await host.run(argv);
    return { ok: true };
  } catch (err) {
    const text =
      String((err as { stderr?: string }).stderr ?? err)
        .trim()
        .split('\n')
        .pop() ?? '';
    return { ok: false, error: text.replace(/^sysctl: /, '') };
  }
}
