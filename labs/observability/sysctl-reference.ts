import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LabContext } from '../_lib/types.ts';
import { defineLab } from '../_lib/define.ts';
import { buildProbe } from '../_lib/probes.ts';

/**
 * One row of the reference. `kernelDefault` is the compiled default (ip-sysctl.rst, the source),
 * naming the releases it holds for where it changed.
 */
interface Entry {
  key: string;
  unit: string;
  kernelDefault: string;
  /** What tuning guides and interview write-ups commonly state about it. */
  notes?: string;
  /** Where the site shows the sysctl at work. */
  lab?: string;
}

/** rmem_max/wmem_max: 212992 (SK_RMEM_MAX) until "net: set net.core.rmem_max and net.core.wmem_max to 4 MB" (a6d4f25888b8, 6.18). */
const CORE_MAX_DEFAULT = '212992 (to 6.17); 4194304 (6.18+)';

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
    kernelDefault: '4096 (5.4+)',
    lab: 'handshakes/accept-queue-overflow',
  },
  { key: 'net.core.rmem_default', unit: 'bytes', kernelDefault: '212992' },
  {
    key: 'net.core.rmem_max',
    unit: 'bytes',
    kernelDefault: CORE_MAX_DEFAULT,
    lab: 'socket-options',
  },
  { key: 'net.core.wmem_default', unit: 'bytes', kernelDefault: '212992' },
  {
    key: 'net.core.wmem_max',
    unit: 'bytes',
    kernelDefault: CORE_MAX_DEFAULT,
    lab: 'socket-options',
  },
  {
    // tcp_init(): max = max(131072, min(X, 1/128 of free buffer memory)); X is 6 MiB up to 6.15,
    // 32 MiB since 6.16 ("tcp: increase tcp_rmem[2] to 32 MB", 572be9bf9d0d).
    key: 'net.ipv4.tcp_rmem',
    unit: 'bytes (min default max)',
    kernelDefault:
      '4096 131072 6291456 (to 6.15); 4096 131072 33554432 (6.16+); max lower with little RAM',
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

/** The core buffer limits: global values that 6.11+ shows read-only inside a network namespace. */
const CORE_BUFFERS = [
  'net.core.rmem_default',
  'net.core.rmem_max',
  'net.core.wmem_default',
  'net.core.wmem_max',
];

/** One row of the table the chapter renders (src/components/SysctlTable.astro). */
interface ReferenceRow {
  key: string;
  unit: string;
  kernelDefault: string;
  /** The value a brand-new network namespace (owned by a user namespace) reads. */
  fresh: string;
  /** The value in the lab's own namespace, after its baseline. */
  lab: string;
  /** The file's permission bits in the new namespace. */
  mode: string;
  /** The kernel's answer to writing the value back from the new namespace (`ok` or an errno). */
  writeErrno: string;
  perNetns: boolean;
  notes: string;
  shownIn: string;
}

/** What sysctl-access.c reported for one key, as the nested namespace saw it. */
interface Access {
  key: string;
  mode: string | null;
  value: string | null;
  read: string;
  write: string;
}

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
  title: 'Common networking sysctls, read live',
  verifies:
    'Verify: in a brand-new network namespace the per-namespace TCP knobs have their documented defaults and may be written there; netdev_max_backlog and tcp_mem are global and invisible inside a namespace; net.core.rmem_*/wmem_* are global too: since Linux 6.11 a namespace shows them read-only (a write fails with EACCES, even for root), before that not at all; tcp_retries2=15 gives up after 924.6 s.',
  takeaway:
    'Most TCP sysctls belong to a network namespace and start at their defaults in a new one, while netdev_max_backlog, tcp_mem and the rmem/wmem limits are global. tcp_retries2 is a time budget computed from the minimum RTO, not a count of retransmissions.',
  probes: ['observability/sysctl-access.c'],
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
    // As real root, the nested namespace must not map its root to the host's root. Without real
    // root (the labs in a user namespace already) no nested namespace can gain host privileges.
    if (realRoot && /^0 0 /.test(nestedUidMap))
      throw new Error('nested namespace maps root to root: refusing to test writes');
    const pageSize = Number(clean(await host.run(['getconf', 'PAGESIZE'])));

    // The kernel's answer, not sysctl(8)'s: procps refuses a read-only key itself ("Invalid
    // argument") and exits 0. The probe stats, reads and writes each file back with its own value.
    // nobody may not reach the probe cache (a checkout under /root): run a copy from this run's /run.
    const dir = mkdtempSync('/run/sysctl-access-');
    let accesses: Access[];
    try {
      chmodSync(dir, 0o755);
      const probe = join(dir, 'sysctl-access');
      copyFileSync(buildProbe('observability/sysctl-access.c'), probe);
      chmodSync(probe, 0o755);
      const out = await host.run(nested([probe, ...ENTRIES.map((e) => e.key)]));
      accesses = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Access & { event: string })
        .filter((e) => e.event === 'key');
      ctx.note(host, 'nested-access', { keys: accesses.length });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // The same four global knobs, tried by the lab namespace's own root: real root when the labs
    // run as root. On every kernel they are absent here or read-only, so nothing global can change.
    const own = ctx.probe(host, 'observability/sysctl-access.c', CORE_BUFFERS);
    await own.waitFor('done');
    const ownWrites = CORE_BUFFERS.map(
      (k) => own.events.find((e) => e.event === 'key' && e.key === k)?.write,
    );

    const rows: ReferenceRow[] = [];
    for (const e of ENTRIES) {
      const lab = await host.readSysctl(e.key);
      const a = accesses.find((x) => x.key === e.key);
      rows.push({
        key: e.key,
        unit: e.unit,
        kernelDefault: e.kernelDefault,
        fresh: a?.value ?? (a?.read === 'ENOENT' ? '(absent)' : `(${a?.read ?? 'not read'})`),
        lab,
        mode: a?.mode ?? '(absent)',
        writeErrno: a?.write ?? '(not tried)',
        perNetns: a?.write === 'ok',
        notes: e.notes ?? '',
        shownIn: e.lab ?? '',
      });
    }
    // The budgets follow the values this kernel gives a new namespace, and the RTO cap it uses
    // (tcp_rto_max_ms since 6.15; TCP_RTO_MAX, 120 s, before).
    const rtoMaxMs = Number(await host.readSysctl('net.ipv4.tcp_rto_max_ms')) || RTO_MAX_S * 1000;
    const freshNumber = (key: string) => Number(rows.find((r) => r.key === key)?.fresh);
    await capture.stop();
    const field = (keys: string[], f: 'fresh' | 'lab' | 'mode' | 'writeErrno') =>
      keys.map((k) => rows.find((r) => r.key === k)?.[f]);
    return {
      inherentWaitS: 0,
      facts: {
        rows,
        nestedUidMap,
        pageSize,
        coreBufferWrites: field(CORE_BUFFERS, 'writeErrno'),
        coreBufferWritesByLabRoot: ownWrites,
        labPrivilege: realRoot ? 'real root' : 'root of a user namespace',
        coreBufferModes: field(CORE_BUFFERS, 'mode'),
        coreBufferFresh: field(CORE_BUFFERS, 'fresh'),
        coreBufferLab: field(CORE_BUFFERS, 'lab'),
        // net.core.rmem_max alone, for quoting in the chapter.
        rmemMaxMode: field(['net.core.rmem_max'], 'mode')[0],
        rmemMaxWrite: field(['net.core.rmem_max'], 'writeErrno')[0],
        somaxconnFresh: field(['net.core.somaxconn'], 'fresh')[0],
        somaxconnWrite: field(['net.core.somaxconn'], 'writeErrno')[0],
        tcpRmemFresh: field(['net.ipv4.tcp_rmem'], 'fresh')[0],
        tcpRmemLab: field(['net.ipv4.tcp_rmem'], 'lab')[0],
        rtoMaxMs,
        retries1TimeoutS: modelTimeoutS(
          freshNumber('net.ipv4.tcp_retries1'),
          RTO_MIN_S,
          rtoMaxMs / 1000,
        ),
        retries2TimeoutS: modelTimeoutS(
          freshNumber('net.ipv4.tcp_retries2'),
          RTO_MIN_S,
          rtoMaxMs / 1000,
        ),
        retries2Retransmissions: freshNumber('net.ipv4.tcp_retries2'),
      },
    };
  },
  claims: [
    {
      id: 'global-hidden',
      says: 'netdev_max_backlog and tcp_mem are global: a network namespace does not even see them (only the initial namespace has them).',
      observe: (r) =>
        ['net.core.netdev_max_backlog', 'net.ipv4.tcp_mem'].map((k) => [
          row(r, k)?.lab,
          row(r, k)?.writeErrno,
        ]),
      expect: {
        equals: [
          ['(absent)', 'ENOENT'],
          ['(absent)', 'ENOENT'],
        ],
      },
    },
    {
      id: 'defaults',
      says: 'The per-namespace TCP knobs start at their documented defaults in a new namespace: retries1 3, retries2 15, window scaling 1, fin_timeout 60.',
      observe: (r) =>
        [
          'net.ipv4.tcp_retries1',
          'net.ipv4.tcp_retries2',
          'net.ipv4.tcp_window_scaling',
          'net.ipv4.tcp_fin_timeout',
        ].map((k) => row(r, k)?.fresh),
      expect: { equals: ['3', '15', '1', '60'] },
    },
    {
      id: 'somaxconn',
      says: 'somaxconn is per network namespace: a new namespace owned by a user namespace shows the default 4096 and may write it.',
      observe: (r) => [r.facts.somaxconnFresh, r.facts.somaxconnWrite],
      expect: { equals: ['4096', 'ok'] },
      kernel: {
        since: '6.3',
        before: { equals: ['(absent)', 'ENOENT'] },
        change:
          'before "sysctl: expose all net/core sysctls inside netns" (6b754d7bd007, net-next January 2023), sysctl_core_net_init() hid net.core.somaxconn in a network namespace owned by a user namespace ("Don\'t export any sysctls to unprivileged users")',
      },
      kernelNote: 'somaxconn was 128 before Linux 5.4',
    },
    {
      id: 'per-netns',
      says: 'tcp_retries1/2, tcp_window_scaling, tcp_fin_timeout, tcp_rmem and tcp_wmem are per network namespace: the new namespace writes them (its own copy).',
      observe: (r) => perNetns(r, true).filter((k) => k !== 'net.core.somaxconn'),
      expect: {
        equals: [
          'net.ipv4.tcp_fin_timeout',
          'net.ipv4.tcp_retries1',
          'net.ipv4.tcp_retries2',
          'net.ipv4.tcp_rmem',
          'net.ipv4.tcp_window_scaling',
          'net.ipv4.tcp_wmem',
        ],
      },
    },
    {
      id: 'global-readonly',
      says: "net.core.rmem_default, rmem_max, wmem_default and wmem_max are global: a namespace shows them with mode 0444 and writing fails with EACCES, for root of the new namespace's user namespace and for the lab namespace's root (real root when the labs run as root) alike.",
      observe: (r) => [
        r.facts.coreBufferModes,
        r.facts.coreBufferWrites,
        r.facts.coreBufferWritesByLabRoot,
      ],
      expect: {
        equals: [
          ['0444', '0444', '0444', '0444'],
          ['EACCES', 'EACCES', 'EACCES', 'EACCES'],
          ['EACCES', 'EACCES', 'EACCES', 'EACCES'],
        ],
      },
      kernel: {
        since: '6.11',
        before: {
          equals: [
            ['(absent)', '(absent)', '(absent)', '(absent)'],
            ['ENOENT', 'ENOENT', 'ENOENT', 'ENOENT'],
            ['ENOENT', 'ENOENT', 'ENOENT', 'ENOENT'],
          ],
        },
        change:
          '"net: make net.core.{r,w}mem_{default,max} namespaced" (19249c0724f2, 6.11) lists them in every namespace but keeps .data on the global variables and clears the write bits (sysctl_core_net_init()); before it they were registered for the initial namespace only',
      },
    },
    {
      id: 'global-same-value',
      says: 'They are the same values everywhere: the new namespace and the lab namespace read the same four numbers.',
      observe: (r) =>
        JSON.stringify(r.facts.coreBufferFresh) === JSON.stringify(r.facts.coreBufferLab)
          ? r.facts.coreBufferFresh
          : `${JSON.stringify(r.facts.coreBufferFresh)} ≠ ${JSON.stringify(r.facts.coreBufferLab)}`,
      expect: { matches: '^\\d+,\\d+,\\d+,\\d+$' },
      kernel: {
        since: '6.11',
        before: { equals: ['(absent)', '(absent)', '(absent)', '(absent)'] },
        change: 'not shown in a network namespace before 6.11 (19249c0724f2)',
      },
    },
    {
      id: 'retries2-time',
      says: 'The default tcp_retries2=15, with the 120 s RTO cap this kernel uses, means 1023 × 0.2 s + 6 × 120 s = 924.6 s after the first retransmission (about 15.4 minutes), not "13 to 30 minutes".',
      fact: 'retries2TimeoutS',
      expect: { equals: 924.6 },
      kernelNote:
        'computed with the formula of tcp_model_timeout() (net/ipv4/tcp_timer.c) from the values this kernel reports, not timed: that would take 15 minutes',
    },
    {
      id: 'retries1-time',
      says: 'The default tcp_retries1=3 means the route is re-checked after (2⁴ − 1) × 0.2 s = 3 s of retransmissions.',
      fact: 'retries1TimeoutS',
      expect: { equals: 3 },
    },
  ],
});

type Row = {
  key: string;
  fresh: string;
  lab: string;
  mode: string;
  writeErrno: string;
  perNetns: boolean;
};
function row(r: { facts: Record<string, unknown> }, key: string): Row | undefined {
  return (r.facts.rows as Row[] | undefined)?.find((x) => x.key === key);
}
function perNetns(r: { facts: Record<string, unknown> }, yes: boolean): string[] {
  return ((r.facts.rows as Row[] | undefined) ?? [])
    .filter((x) => x.perNetns === yes)
    .map((x) => x.key)
    .sort();
}
