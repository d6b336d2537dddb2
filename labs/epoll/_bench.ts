/**
 * Benchmark (a script, not a test): what it costs to wait on N sockets of which few are active,
 * for busy-polling non-blocking recv(), select(), poll() and epoll_wait(), at N from 3 to 10000.
 * Runs bench.c in a throwaway network namespace inside the lab sandbox (where it may raise
 * RLIMIT_NOFILE), prints a table of medians and writes labs/epoll/recorded/bench/bench.json,
 * which the chapter's chart reads at build time.
 *
 *   npm run bench:epoll                 # the full run (under two minutes on 2 cores)
 *   npm run bench:epoll -- --runs 3     # fewer runs per cell; --no-write keeps the recording
 *
 * Design limits: one message in flight at a time (ping-pong), so each message costs exactly one
 * wait with one ready socket; CPU is the receiver's only (getrusage user + system), syscalls are
 * counted by the probe itself (the receiver's recv/send/wait calls; epoll_ctl and fd_set building
 * are setup). Median over runs of per-message values; a run stops at MSGS messages or BUDGET_MS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, machine, release, version } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { SandboxContext } from '../_lib/context.ts';
import { EXIT, LabError } from '../_lib/errors.ts';
import { LABS_DIR } from '../_lib/probes.ts';
import { insideSandbox, prepareSandbox, runInSandbox, sandboxPrivilege } from '../_lib/sandbox.ts';
import type { LabEvent } from '../_lib/types.ts';

/** Socket counts measured: the notes' 3 and 99, select's FD_SETSIZE neighbourhood, and 10000. */
export const BENCH_NS = [3, 10, 30, 99, 300, 1000, 3000, 10000];
export const BENCH_METHODS = ['busy', 'select', 'poll', 'epoll'] as const;
export type BenchMethod = (typeof BENCH_METHODS)[number];
export const BENCH_FILE = join(LABS_DIR, 'epoll', 'recorded', 'bench', 'bench.json');

/** One cell of the table: one method at one N, medians over the runs. */
export interface BenchRow {
  n: number;
  method: BenchMethod;
  supported: boolean;
  /** Why the method could not run at this N (select beyond FD_SETSIZE). */
  reason?: string;
  runs: number;
  msgsPerRun: number[];
  cpuUsPerMsg: number;
  syscallsPerMsg: number;
  wallUsPerMsg: number;
}

/** The committed result file. */
export interface BenchResult {
  recordedAt: string;
  kernel: { release: string; version: string; machine: string };
  cpus: number;
  privilege: 'root' | 'userns';
  params: { runs: number; msgs: number; budgetMs: number; messageBytes: number; active: string };
  wallMs: number;
  ns: number[];
  methods: BenchMethod[];
  rows: BenchRow[];
}

const MSGS = 2000;
const BUDGET_MS = 250;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** Turns one N's probe events into table rows. */
export function rowsFor(n: number, events: LabEvent[]): BenchRow[] {
  return BENCH_METHODS.map((method) => {
    const unsupported = events.find((e) => e.event === 'unsupported' && e.method === method);
    const results = events.filter((e) => e.event === 'result' && e.method === method);
    if (unsupported || results.length === 0) {
      return {
        n,
        method,
        supported: false,
        reason: String(unsupported?.reason ?? 'no result'),
        runs: 0,
        msgsPerRun: [],
        cpuUsPerMsg: NaN,
        syscallsPerMsg: NaN,
        wallUsPerMsg: NaN,
      };
    }
    const per = (key: string) => results.map((e) => Number(e[key]) / Number(e.msgs));
    return {
      n,
      method,
      supported: true,
      runs: results.length,
      msgsPerRun: results.map((e) => Number(e.msgs)),
      cpuUsPerMsg: round(median(per('cpuUs'))),
      syscallsPerMsg: round(median(per('syscalls'))),
      wallUsPerMsg: round(median(per('wallUs'))),
    };
  });
}

/** The table as text, one line per N, one column group per method. */
export function formatTable(rows: BenchRow[]): string {
  const ns = [...new Set(rows.map((r) => r.n))];
  const cell = (r: BenchRow | undefined, key: 'cpuUsPerMsg' | 'syscallsPerMsg') =>
    !r ? '' : r.supported ? String(r[key]) : 'n/a';
  const head = [
    'N',
    ...BENCH_METHODS.map((m) => `${m} µs`),
    ...BENCH_METHODS.map((m) => `${m} calls`),
  ];
  const lines = ns.map((n) => {
    const byMethod = (m: string) => rows.find((r) => r.n === n && r.method === m);
    return [
      String(n),
      ...BENCH_METHODS.map((m) => cell(byMethod(m), 'cpuUsPerMsg')),
      ...BENCH_METHODS.map((m) => cell(byMethod(m), 'syscallsPerMsg')),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => l.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [
    'CPU time (µs) and syscalls per delivered message, receiver side, median of runs',
    fmt(head),
    ...lines.map(fmt),
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50)
    throw new LabError(EXIT.usage, '--runs must be an integer in [1, 50].');
  if (!insideSandbox()) return runInSandbox({ argv: [process.argv[1]!, ...process.argv.slice(2)] });

  const ctx = new SandboxContext();
  prepareSandbox(() => void ctx.cleanup().finally(() => process.exit(EXIT.interrupted)));
  const started = performance.now();
  try {
    const host = await ctx.host('bench');
    const rows: BenchRow[] = [];
    for (const n of BENCH_NS) {
      process.stderr.write(`N = ${n} …\n`);
      const probe = ctx.probe(host, 'epoll/bench.c', [n, runs, MSGS, BUDGET_MS]);
      await probe.waitFor('done', 120_000);
      await probe.exited;
      rows.push(...rowsFor(n, probe.events));
    }
    const result: BenchResult = {
      recordedAt: new Date().toISOString(),
      kernel: { release: release(), version: version(), machine: machine() },
      cpus: cpus().length,
      privilege: sandboxPrivilege(),
      params: {
        runs,
        msgs: MSGS,
        budgetMs: BUDGET_MS,
        messageBytes: 32,
        active: 'min(N, 3) connections: first, middle, last',
      },
      wallMs: Math.round(performance.now() - started),
      ns: BENCH_NS,
      methods: [...BENCH_METHODS],
      rows,
    };
    console.log(formatTable(rows));
    const unsupported = rows.filter((r) => !r.supported);
    for (const r of unsupported) console.log(`${r.method} at N = ${r.n}: ${r.reason}`);
    console.log(`wall time ${(result.wallMs / 1000).toFixed(1)} s`);
    if (!values['no-write']) {
      mkdirSync(dirname(BENCH_FILE), { recursive: true });
      // NaN is not JSON: unsupported cells are written as null.
      writeFileSync(
        BENCH_FILE,
        `${JSON.stringify(result, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 1)}\n`,
      );
      console.log(`wrote ${BENCH_FILE}`);
    }
    return EXIT.ok;
  } finally {
    await ctx.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof LabError) {
        console.error(`bench: ${error.message}`);
        if (error.hint) console.error(`hint: ${error.hint}`);
        process.exitCode = error.exitCode;
      } else {
        console.error(error);
        process.exitCode = EXIT.setup;
      }
    },
  );
}
