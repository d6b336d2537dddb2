/**
 * `npm run labs:matrix`: the labs on several Linux kernels. The host kernel runs them directly;
 * Debian's 6.1 and 6.12 (downloaded with apt-get, never installed) boot under qemu and run them
 * there, several at a time in one boot (labs/_lib/vm). Each kernel gets its own recording set and
 * summary (labs/_lib/recordings.ts); re-recording one kernel never touches another.
 *
 *   npm run labs:matrix -- --list                      what it would run, and what is missing
 *   npm run labs:matrix                                every lab on the host, 6.1 and 6.12
 *   npm run labs:matrix -- --kernels 6.1 handshakes    one chapter on one kernel
 *   npm run labs:matrix -- --kernel ./vmlinuz --modules ./lib/modules/6.8.0-45-generic
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { intOption, parseCommandLine, selectLabs, shorten } from './_lib/args.ts';
import { EXIT, LabError, usageError } from './_lib/errors.ts';
import { buildProbe } from './_lib/probes.ts';
import {
  kernelSeries,
  readRecording,
  readSummaries,
  REPO_DIR,
  summaryEntry,
  writeRecording,
  writeSummary,
  type KernelSummary,
  type SummaryLab,
} from './_lib/recordings.ts';
import { checkRun, type Result } from './_lib/result.ts';
import type { Lab, LabRun } from './_lib/types.ts';
import {
  availability,
  customKernel,
  DEFAULT_KERNELS,
  kernel,
  labCommand,
  runInGuest,
  type CommandResult,
  type Kernel,
} from './_lib/vm/index.ts';
import { labs } from './index.ts';

const HELP = `usage: npm run labs:matrix -- [options] [lab|chapter ...]

Runs labs on the host kernel and on Debian's 6.1 and 6.12 kernels (booted under qemu), and
writes one recording set and summary per kernel under labs/kernels/<series>/ (the host's
recordings stay beside the labs).

Options:
  --list                   the kernels it would use, whether each can run, what to install
  --recheck                run nothing: after a claim changed, recompute every kernel's summary
                           from its committed recordings (the facts stay what was observed)
  --kernels <a,b,...>      which of ${DEFAULT_KERNELS.join(', ')} (default: all)
  --kernel <vmlinuz>       a kernel of your own (with --modules <its lib/modules/<release> dir>)
  --modules <dir>
  --concurrency <n>        labs at once inside one VM (default 3; 2 vCPUs, emulated)
  --timeout <seconds>      for one kernel's whole run, boot included (default 3600)
  --out <dir>              write recordings under <dir> instead of this checkout
  -h, --help               this help

Needs: qemu-system-x86, busybox-static, kmod (apt-get install -y qemu-system-x86 busybox-static kmod),
and apt-get to download the kernels. Exit codes: 0 ran (claims that differ are data, not errors),
2 usage, 4 a tool is missing, 7 not a kernel / modules for another kernel, 8 the guest failed,
9 the guest timed out.`;

interface Options {
  list: boolean;
  recheck: boolean;
  kernels: Array<Kernel | string>;
  labs: Lab[];
  concurrency: number;
  timeoutS: number;
  out: string;
}

function parse(argv: string[]): Options | 'help' {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      list: { type: 'boolean', default: false },
      recheck: { type: 'boolean', default: false },
      kernels: { type: 'string' },
      kernel: { type: 'string' },
      modules: { type: 'string' },
      concurrency: { type: 'string', default: '3' },
      timeout: { type: 'string', default: '3600' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    HELP.split('\n')[0]!,
  );
  if (values.help) return 'help';
  if ((values.kernel === undefined) !== (values.modules === undefined)) {
    throw usageError(
      '--kernel and --modules go together: a vmlinuz and its modules directory.',
      HELP.split('\n')[0],
    );
  }
  const cwd = process.env.INIT_CWD ?? process.cwd();
  let kernels: Array<Kernel | string> = values.kernels
    ? values.kernels.split(',').filter(Boolean)
    : [...DEFAULT_KERNELS];
  for (const name of kernels) {
    if (typeof name === 'string' && !DEFAULT_KERNELS.includes(name)) {
      throw usageError(
        `Unknown kernel "${shorten(name)}".`,
        `Known kernels: ${DEFAULT_KERNELS.join(', ')}; any other with --kernel <vmlinuz> --modules <dir>.`,
      );
    }
  }
  if (values.kernel) {
    const custom = customKernel({
      vmlinuz: resolve(cwd, values.kernel),
      modulesDir: resolve(cwd, values.modules!),
    });
    kernels = values.kernels ? [...kernels, custom] : [custom];
  }
  return {
    list: values.list,
    recheck: values.recheck,
    kernels,
    labs: positionals.length ? selectLabs(positionals, labs, HELP.split('\n')[0]!) : labs,
    concurrency: intOption(values.concurrency, '--concurrency', 1, 8, HELP.split('\n')[0]!)!,
    timeoutS: intOption(values.timeout, '--timeout', 30, 24 * 3600, HELP.split('\n')[0]!)!,
    out: values.out ? resolve(cwd, values.out) : REPO_DIR,
  };
}

/** `--list`: each kernel, whether it can run now, and what to install if not. */
function list(kernels: Array<Kernel | string>): number {
  const named = kernels.filter((k): k is string => typeof k === 'string');
  let missing = 0;
  for (const a of availability(named)) {
    const what =
      a.name === 'host'
        ? `${a.release} (this machine, no VM)`
        : `${a.release ?? '?'} (${a.package ?? 'no package found'}${a.packageVersion ? ` ${a.packageVersion}` : ''}${a.fetched ? ', downloaded' : ', downloads on first use'})`;
    console.log(`${a.available ? 'ok     ' : 'MISSING'}  ${a.name.padEnd(5)} ${what}`);
    for (const m of a.missing)
      console.log(`         ${' '.repeat(5)} needs ${m.what}: ${m.install}`);
    if (!a.available) missing++;
  }
  for (const k of kernels.filter((k): k is Kernel => typeof k !== 'string')) {
    console.log(`ok       ${'custom'.padEnd(5)} ${k.release} (${'vmlinuz' in k ? k.vmlinuz : ''})`);
  }
  return missing ? EXIT.missingTool : EXIT.ok;
}

/** One lab's outcome on one kernel, from the CLI's --json document or its exit code. */
function outcome(lab: Lab, result: CommandResult): { entry: SummaryLab; run?: LabRun } {
  let doc: Result | { error: { message: string } } | undefined;
  try {
    doc = JSON.parse(result.stdout);
  } catch {
    doc = undefined;
  }
  if (result.exitCode === 0 && doc && 'runs' in doc && doc.runs[0]) {
    const { claims, ...run } = doc.runs[0];
    return {
      entry: summaryEntry(lab.id, claims),
      run,
    };
  }
  const reason =
    (doc && 'error' in doc ? doc.error.message : undefined) ??
    result.stderr
      .split('\n')
      .find((l) => l.startsWith('lab:'))
      ?.slice(5) ??
    result.stderr.trim().split('\n').at(-1) ??
    'no output';
  return {
    entry: {
      id: lab.id,
      status: result.exitCode === EXIT.unsupported ? 'unsupported' : 'failed',
      exitCode: result.exitCode,
      reason: shorten(reason, 300),
      claims: [],
    },
  };
}

/**
 * `--recheck`: each kernel's summary recomputed with today's claims from the recordings it names.
 * Nothing runs; a claim's new wording or bound is judged on what each kernel was seen to do.
 */
function recheck(selected: Lab[], root: string): number {
  for (const summary of readSummaries(root)) {
    const kernel = summary.primary ? undefined : summary.name;
    const entries = summary.labs.flatMap((entry) => {
      const lab = selected.find((l) => l.id === entry.id);
      const run = lab && entry.status === 'ran' ? readRecording(lab.id, root, kernel) : undefined;
      return lab && run ? [summaryEntry(lab.id, checkRun(lab, run).claims)] : [];
    });
    writeSummary({ ...summary, labs: entries }, root);
    const held = entries.reduce((n, e) => n + e.claims.filter((c) => c.holds).length, 0);
    const claims = entries.reduce((n, e) => n + e.claims.length, 0);
    console.error(
      `${summary.name}: ${entries.length} labs rechecked, ${held}/${claims} claims hold`,
    );
  }
  return EXIT.ok;
}

async function runKernel(k: Kernel, opts: Options): Promise<KernelSummary> {
  const name = kernelSeries(k.release);
  const primary = k.kind === 'host';
  const started = performance.now();
  console.error(
    `${name}: ${opts.labs.length} labs on ${k.release}${primary ? ' (host)' : ' (qemu)'} …`,
  );
  let done = 0;
  const entries: SummaryLab[] = [];
  const result = await runInGuest(k, {
    commands: opts.labs.map((lab) => labCommand(lab.id, ['--pcap', '{out}.pcap'])),
    concurrency: primary ? 6 : opts.concurrency,
    timeoutMs: opts.timeoutS * 1000,
    onCommandDone: (r) => {
      const lab = opts.labs[r.index]!;
      const { entry, run } = outcome(lab, r);
      entries.push(entry);
      if (run) writeRecording(run, r.pcap, opts.out, primary ? undefined : name);
      const held = entry.claims.filter((c) => c.holds).length;
      const elapsed = ((performance.now() - started) / 1000).toFixed(0);
      console.error(
        `  [${++done}/${opts.labs.length}, ${elapsed} s] ${lab.id}: ${entry.status === 'ran' ? `${held}/${entry.claims.length} claims hold` : `${entry.status} (${entry.reason})`}`,
      );
    },
  });
  return writeSummary(
    {
      name,
      release: result.kernel.release,
      ...(result.kernel.package ? { package: result.kernel.package } : {}),
      ...(result.kernel.packageVersion ? { packageVersion: result.kernel.packageVersion } : {}),
      accel: result.accel,
      primary,
      recordedAt: new Date().toISOString(),
      labs: entries,
    },
    opts.out,
  );
}

async function main(): Promise<number> {
  const opts = parse(process.argv.slice(2));
  if (opts === 'help') {
    console.log(HELP);
    return EXIT.ok;
  }
  if (opts.list) return list(opts.kernels);
  if (opts.recheck) return recheck(opts.labs, opts.out);
  mkdirSync(opts.out, { recursive: true });
  // Compile every probe on the host first: guests share this file system, and compiling under
  // emulation is slow.
  for (const source of new Set([
    'probes/capture.c',
    ...opts.labs.flatMap((l) => l.probes.filter((p) => p.endsWith('.c'))),
  ])) {
    buildProbe(source);
  }
  const summaries: KernelSummary[] = [];
  for (const ref of opts.kernels) {
    const k = typeof ref === 'string' ? kernel(ref) : ref;
    summaries.push(await runKernel(k, opts));
  }
  printTable(summaries, opts.labs);
  return EXIT.ok;
}

/** Per kernel: claims held, differing, labs that could not run; then the claims that differ. */
function printTable(summaries: KernelSummary[], selected: Lab[]): void {
  const ids = new Set(selected.map((l) => l.id));
  console.log(
    '\n| kernel | release | labs run | claims held | differ | not on this kernel | failed |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const s of summaries) {
    const labsHere = s.labs.filter((l) => ids.has(l.id));
    const claims = labsHere.flatMap((l) => l.claims);
    const count = (status: string) => labsHere.filter((l) => l.status === status).length;
    console.log(
      `| ${s.name} | ${s.release} | ${count('ran')} | ${claims.filter((c) => c.holds).length} | ${claims.filter((c) => !c.holds).length} | ${count('unsupported')} | ${count('failed')} |`,
    );
  }
  for (const s of summaries) {
    for (const l of s.labs.filter((l) => ids.has(l.id))) {
      if (l.status !== 'ran') console.log(`${s.name} ${l.id}: ${l.status}: ${l.reason}`);
      for (const c of l.claims.filter((c) => !c.holds)) {
        console.log(
          `${s.name} ${l.id} · ${c.id}: expected ${c.expected}, observed ${JSON.stringify(c.observed)}${c.cost ? ' (a cost bound)' : ''}`,
        );
      }
    }
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    if (error instanceof LabError) {
      console.error(`labs:matrix: ${error.message}`);
      if (error.hint) console.error(`hint: ${error.hint}`);
      process.exitCode = error.exitCode;
    } else {
      console.error(error);
      process.exitCode = EXIT.setup;
    }
  },
);
