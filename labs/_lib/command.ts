/**
 * `npm run lab -- <command>`: run labs on this kernel, list them, record them, check the machine.
 * See `--help` and labs/README.md. Every lab runs inside a fresh sandbox (see sandbox.ts): this
 * module runs twice per invocation, as the launcher on the host and as the run inside.
 *
 * Output contract: stdout carries only what was asked for (the report, the list, or with --json
 * exactly one JSON document, labs/result.schema.json); progress, notes and errors go to stderr.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { resolve } from 'node:path';
import { parseCommandLine, selectLabs, shorten } from './args.ts';
import { doctor } from './doctor.ts';
import { EXIT, LabError, usageError } from './errors.ts';
import { concatPcaps } from './pcap-file.ts';
import { buildProbe } from './probes.ts';
import { comparison } from './compare.ts';
import {
  keepReadersRun,
  readSummaries,
  summaryEntry,
  updatePrimarySummary,
  writeRecording,
} from './recordings.ts';
import { notesOnce, report, summaryLine } from './report.ts';
import { checkRun, errorResult, result, type RunResult } from './result.ts';
import { runLab } from './runner.ts';
import type { SandboxContext } from './context.ts';
import { insideSandbox, prepareSandbox, runInSandbox, sandboxPcapFd } from './sandbox.ts';
import type { Lab } from './types.ts';

const HINT = 'Run `npm run lab -- --help` for usage.';

const HELP = `Run the book's labs on this machine's kernel, in throwaway network namespaces.

Usage:
  npm run lab -- <lab|chapter> [...]   run labs: packets, timeline, facts and claims
  npm run lab -- list [--json]         every lab, one line each
  npm run lab -- doctor [--json]       can this machine run labs? (what is missing, how to fix it)
  npm run labs:record [lab|chapter]    run labs and write labs/<chapter>/recorded/ (all by default)

Options:
  --json          print one JSON document (labs/result.schema.json) instead of the report
  --pcap <file>   also write the captured packets to <file> (pcap, for tcpdump -r or Wireshark);
                  relative to the directory you ran npm from
  --strict        exit 1 when a claim does not hold on this kernel (default: report it, exit 0)
  --compare       after each lab, its claims beside every kernel of the matrix (labs/kernels/),
                  and which one your kernel behaves like
  -h, --help      this help

With --json use \`npm run -s lab -- ...\` (or \`node labs/cli.ts ...\`): npm's own banner goes to stdout.
A lab id is chapter/name (handshakes/three-way-handshake); a chapter name runs all its labs.
Labs need Linux and either root or unprivileged user namespaces, plus a C compiler.
Exit codes: 0 ok, 1 claim failed (--strict), 2 usage, 3 no sandbox, 4 missing tool, 5 setup
failed, 6 kernel lacks a feature, 130 interrupted, 137 killed, 143 terminated. Nothing is left
behind on any of them.`;

type Command = 'run' | 'record' | 'list' | 'doctor' | 'help';

interface Options {
  command: Command;
  labs: Lab[];
  json: boolean;
  strict: boolean;
  compare: boolean;
  /** Absolute path of the capture file. */
  pcap?: string;
}

/** Turns argv into options; throws a usage error naming the problem. */
export function parseCli(argv: string[], labs: Lab[]): Options {
  const { values, positionals } = parseCommandLine(
    argv,
    {
      json: { type: 'boolean', default: false },
      pcap: { type: 'string' },
      strict: { type: 'boolean', default: false },
      compare: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    HINT,
  );
  const base = {
    labs: [] as Lab[],
    json: values.json,
    strict: values.strict,
    compare: values.compare,
  };
  if (values.compare && values.json) {
    throw usageError(
      '--compare prints a table for reading; leave out --json (the JSON has every observed value).',
      HINT,
    );
  }
  if (values.help) return { ...base, command: 'help' };
  const [first, ...rest] = positionals;
  if (first === 'list' || first === 'doctor') {
    if (rest.length)
      throw usageError(`\`${first}\` takes no arguments, got: ${shorten(rest.join(' '))}`, HINT);
    for (const flag of ['pcap', 'strict', 'compare'] as const) {
      if (values[flag] !== undefined && values[flag] !== false) {
        throw usageError(`\`${first}\` does not take --${flag}.`, HINT);
      }
    }
    return { ...base, command: first };
  }
  const command = first === 'record' ? 'record' : 'run';
  const names = command === 'record' ? rest : positionals;
  if (command === 'run' && names.length === 0) {
    throw usageError(
      'Name a lab or a chapter to run.',
      `\`npm run lab -- list\` shows every lab. ${HINT}`,
    );
  }
  const selected =
    command === 'record' && names.length === 0 ? labs : selectLabs(names, labs, HINT);
  // npm runs scripts from the package root; INIT_CWD is where the reader typed the command.
  const pcap =
    values.pcap === undefined
      ? undefined
      : resolve(process.env.INIT_CWD ?? process.cwd(), values.pcap);
  return { ...base, command, labs: selected, pcap };
}

/** Runs the command line against the registry (labs/index.ts) and sets the exit code. */
export async function main(argv: string[], labs: Lab[]): Promise<void> {
  const json = argv.includes('--json');
  try {
    process.exitCode = await dispatch(parseCli(argv, labs), labs);
  } catch (error) {
    process.exitCode = fail(error, json);
  }
}

async function dispatch(opts: Options, labs: Lab[]): Promise<number> {
  switch (opts.command) {
    case 'help':
      console.log(HELP);
      return EXIT.ok;
    case 'list':
      console.log(opts.json ? JSON.stringify(labs.map(listed), null, 1) : listText(labs));
      return EXIT.ok;
    case 'doctor':
      return doctor(opts.json);
  }
  if (insideSandbox()) return runInside(opts);
  return launch(opts);
}

/** On the host: open the capture file here (so it lands on the host's file system), then run. */
async function launch(opts: Options): Promise<number> {
  const capture = opts.pcap ? openCapture(opts.pcap) : undefined;
  try {
    return await runInSandbox({
      argv: [process.argv[1]!, ...process.argv.slice(2)],
      simulateRefusal: process.env.SOCKET_LABS_SIMULATE_REFUSAL === '1',
      pcapFd: capture?.fd,
    });
  } finally {
    if (capture) {
      const written = fstatSync(capture.fd).size;
      closeSync(capture.fd);
      // A file we created and nothing wrote (the run failed early) is not left behind.
      if (written === 0 && capture.created) unlinkSync(opts.pcap!);
    }
  }
}

/**
 * Opens the capture file for writing before any lab runs: a path that cannot hold a capture is a
 * usage error (exit 2) with nothing created.
 */
function openCapture(path: string): { fd: number; created: boolean } {
  const refuse = (why: string): never => {
    throw usageError(
      `Cannot write the capture to ${shorten(path, 120)}: ${why}.`,
      'Give --pcap a path to a regular file in a writable directory.',
    );
  };
  if (/^\/(proc|sys|dev)(\/|$)/.test(path)) refuse('it is on a kernel file system, not a file');
  const existed = existsSync(path);
  if (existed) {
    const st = statSync(path);
    if (st.isDirectory()) refuse('it is a directory');
    if (!st.isFile()) refuse('it is not a regular file');
  }
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return refuse(e.code === 'ENOENT' ? 'its directory does not exist' : (e.code ?? e.message));
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    refuse('it is not a regular file');
  }
  return { fd, created: !existed };
}

/** Inside the sandbox: run the labs one after another and print, record or return them. */
async function runInside(opts: Options): Promise<number> {
  const started = performance.now();
  let current: SandboxContext | undefined;
  let stopping = false;
  let summaryWarned = false;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stopping) return;
    stopping = true;
    const code = signal === 'SIGINT' ? EXIT.interrupted : EXIT.terminated;
    process.stderr.write(`${signal === 'SIGINT' ? 'interrupted' : 'terminated'}: cleaning up …\n`);
    // Clean up now; the PID namespace would end the probes anyway, but delete what we made.
    void (current?.cleanup() ?? Promise.resolve()).finally(() => {
      if (opts.json)
        console.log(
          JSON.stringify(errorResult(code, `${signal}: stopped before the labs finished`)),
        );
      process.exit(code);
    });
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  prepareSandbox(onSignal);

  // Compile every probe first: a missing compiler or a broken probe stops us before any
  // namespace exists, and compile time never counts as lab time.
  const sources = new Set([
    'probes/capture.c',
    ...opts.labs.flatMap((lab) => lab.probes.filter((p) => p.endsWith('.c'))),
  ]);
  for (const source of sources) buildProbe(source);

  const runs: RunResult[] = [];
  const pcaps: Buffer[] = [];
  for (const [i, lab] of opts.labs.entries()) {
    if (opts.labs.length > 1) {
      const elapsed = ((performance.now() - started) / 1000).toFixed(0);
      process.stderr.write(`[${i + 1}/${opts.labs.length}, ${elapsed} s] ${lab.id} …\n`);
    } else if (!opts.json) process.stderr.write(`running ${lab.id} …\n`);
    let output;
    try {
      output = await runLab(lab, (ctx) => (current = ctx));
    } catch (error) {
      // Stopping: the probes died because we are cleaning up; onSignal exits.
      if (stopping) return new Promise<number>(() => {});
      throw error;
    }
    if (stopping) return new Promise<number>(() => {});
    const checked = checkRun(lab, output.run);
    runs.push(checked);
    pcaps.push(...output.pcaps);
    if (opts.command === 'record') {
      writeRecording(output.run, concatPcaps(output.pcaps));
      const warning = updatePrimarySummary(output.run, summaryEntry(lab.id, checked.claims));
      process.stderr.write(`recorded ${lab.id} (${(output.run.wallMs / 1000).toFixed(1)} s)\n`);
      if (warning && !summaryWarned) process.stderr.write(`note: ${warning}\n`);
      summaryWarned ||= !!warning;
    }
    if (opts.command === 'run') keepReadersRun(checked);
    if (!opts.json) console.log(`${report(lab, checked)}\n`);
    if (opts.compare)
      console.log(
        `Compared with the kernels of the matrix\n${comparison(lab, checked, readSummaries())}\n`,
      );
  }

  const fd = sandboxPcapFd();
  if (fd !== undefined) {
    const pcap = concatPcaps(pcaps);
    if (pcap) writeSync(fd, pcap);
    const packets = runs.reduce((n, r) => n + r.packets.length, 0);
    process.stderr.write(
      `wrote ${packets} packets to ${shorten(opts.pcap ?? 'the capture file', 120)}\n`,
    );
  }
  const wallMs = Math.round(performance.now() - started);
  const code = exitCodeFor(runs, opts.strict);
  for (const note of notesOnce(runs)) process.stderr.write(`note: ${note}\n`);
  if (opts.json) console.log(JSON.stringify(result(runs, code, wallMs), null, 1));
  else if (runs.length > 1) console.log(summaryLine(runs, wallMs));
  return code;
}

/**
 * 0, or 1 when `strict` and a claim did not hold: the same with or without --json (the JSON
 * document carries the code too).
 */
export function exitCodeFor(runs: RunResult[], strict: boolean): number {
  const differed = runs.some((r) => r.claims.some((c) => !c.holds));
  return strict && differed ? EXIT.claimFailed : EXIT.ok;
}

/** Reports an error in one line (plus a hint), or as the JSON error document; returns the code. */
function fail(error: unknown, json: boolean): number {
  let code: number = EXIT.setup;
  let message: string;
  let hint: string | undefined;
  if (error instanceof LabError) {
    ({ exitCode: code, message, hint } = error);
  } else if (error && typeof error === 'object' && 'exitCode' in error && 'stderr' in error) {
    // A setup command run through zx failed: say which way in one line, not a dump.
    const { exitCode, stderr } = error as { exitCode: number | null; stderr: string };
    const why =
      exitCode !== null && exitCode < 0
        ? `could not be started (${-exitCode === 13 ? 'EACCES: is the working directory readable?' : `errno ${-exitCode}`})`
        : `exited ${exitCode}`;
    message = `a setup command ${why}${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`;
  } else {
    // Not ours to explain: keep the stack for a bug report.
    message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
  if (json)
    console.log(JSON.stringify(errorResult(code, message.split('\n')[0]!, hint || undefined)));
  console.error(`lab: ${message}`);
  if (hint) console.error(`hint: ${hint}`);
  return code;
}

function listText(labs: Lab[]): string {
  const width = Math.max(...labs.map((lab) => lab.id.length));
  return labs.map((lab) => `${lab.id.padEnd(width)}  ${lab.title}`).join('\n');
}

function listed(lab: Lab) {
  return {
    id: lab.id,
    title: lab.title,
    verifies: lab.verifies,
    source: `labs/${lab.source}`,
    claims: lab.claims.length,
  };
}
