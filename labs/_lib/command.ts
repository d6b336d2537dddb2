/**
 * `npm run lab -- <command>`: run labs on this kernel, list them, record them, check the machine.
 * See `--help` and labs/README.md. Every lab runs inside a fresh sandbox (see _lib/sandbox.ts).
 */
import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, LabError, usageError } from './errors.ts';
import { concatPcaps } from './pcap-file.ts';
import { buildProbe, findCompiler } from './probes.ts';
import { writeRecording } from './recordings.ts';
import { report } from './report.ts';
import { runLab } from './runner.ts';
import type { SandboxContext } from './context.ts';
import { insideSandbox, prepareSandbox, runInSandbox, sandboxBlocker } from './sandbox.ts';
import type { Lab, LabRun } from './types.ts';

const HELP = `Run the book's labs on this machine's kernel, in throwaway network namespaces.

Usage:
  npm run lab -- <lab|chapter> [...]   run labs and print packets, timeline, facts and claims
  npm run lab -- list                  list every lab with one line each
  npm run lab -- doctor                check that this machine can run labs
  npm run labs:record [lab|chapter]    run labs and write labs/<chapter>/recorded/ (all by default)

Options:
  --json          print the runs as JSON (one array) instead of the report
  --pcap <file>   also write the captured packets to <file> (pcap; tcpdump -r and Wireshark read it)
  --strict        exit 1 when a claim does not hold on this kernel (default: report it, exit 0)
  -h, --help      this help

A lab id is chapter/name (handshakes/three-way-handshake); a chapter name runs all its labs.
Labs need Linux and either root or unprivileged user namespaces, plus a C compiler.
Exit codes: 0 ok, 1 claim failed (--strict), 2 usage, 3 no sandbox, 4 missing tool, 5 setup
failed, 6 kernel lacks a feature, 130 interrupted. Nothing is left behind on any of them.`;

interface Options {
  command: 'run' | 'list' | 'doctor' | 'record' | 'help';
  labs: Lab[];
  json: boolean;
  pcap?: string;
  strict: boolean;
}

/** Turns argv into options; throws a usage error naming the problem. */
export function parseCli(argv: string[], labs: Lab[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        pcap: { type: 'string' },
        strict: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw usageError((error as Error).message.split('\n')[0]);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help', labs: [], json: false, strict: false };
  const [first, ...rest] = positionals;
  if (first === 'list' || first === 'doctor') {
    if (rest.length) throw usageError(`\`${first}\` takes no arguments, got: ${rest.join(' ')}`);
    return { command: first, labs: [], json: values.json, strict: false };
  }
  const command = first === 'record' ? 'record' : 'run';
  const names = command === 'record' ? rest : positionals;
  if (command === 'run' && names.length === 0) throw usageError('Name a lab or a chapter to run.');
  const selected =
    command === 'record' && names.length === 0
      ? labs
      : names.flatMap((name) => resolveLabs(name, labs));
  if (values.pcap !== undefined) checkWritable(values.pcap);
  return { command, labs: selected, json: values.json, pcap: values.pcap, strict: values.strict };
}

function resolveLabs(name: string, labs: Lab[]): Lab[] {
  const exact = labs.filter((lab) => lab.id === name);
  if (exact.length) return exact;
  const chapter = labs.filter((lab) => lab.id.startsWith(`${name}/`));
  if (chapter.length) return chapter;
  const known = [...new Set(labs.map((lab) => lab.id.split('/')[0]))].join(', ');
  throw usageError(
    `Unknown lab or chapter "${name}".`,
    `Chapters: ${known}. \`npm run lab -- list\` shows every lab.`,
  );
}

function checkWritable(file: string): void {
  const path = resolve(file);
  const dir = dirname(path);
  try {
    if (existsSync(path) && statSync(path).isDirectory()) throw new Error('is a directory');
    accessSync(existsSync(path) ? path : dir, constants.W_OK);
  } catch (error) {
    throw usageError(
      `Cannot write the capture to ${file}: ${(error as Error).message.replace(/^.*?: /, '')}.`,
      'Give --pcap a path in a writable directory.',
    );
  }
}

function list(labs: Lab[]): string {
  const width = Math.max(...labs.map((lab) => lab.id.length));
  return labs.map((lab) => `${lab.id.padEnd(width)}  ${lab.title}`).join('\n');
}

function doctor(): number {
  const blocker = sandboxBlocker();
  const cc = findCompiler();
  const uid = process.getuid?.() ?? -1;
  console.log(`platform     ${process.platform}`);
  console.log(
    `user         ${uid === 0 ? 'root (namespaces used directly)' : `uid ${uid} (unprivileged user namespaces)`}`,
  );
  console.log(`C compiler   ${cc ?? 'none found'}`);
  console.log(`sandbox      ${blocker ? `unavailable: ${blocker.message}` : 'available'}`);
  if (blocker) {
    console.log(`hint         ${blocker.hint}`);
    return blocker.exitCode;
  }
  return cc ? EXIT.ok : EXIT.missingTool;
}

/** Inside the sandbox: run the labs one after another and print or record them. */
async function runInside(opts: Options): Promise<number> {
  let current: SandboxContext | undefined;
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    if (!opts.json) process.stderr.write('interrupted: cleaning up …\n');
    // Clean up now; the PID namespace would end the probes anyway, but delete what we made.
    void (current?.cleanup() ?? Promise.resolve()).finally(() => process.exit(EXIT.interrupted));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  prepareSandbox(onSignal);

  // Compile every probe first: a missing compiler or a broken probe stops us before any
  // namespace exists, and compile time never counts as lab time.
  const sources = new Set([
    'probes/capture.c',
    ...opts.labs.flatMap((lab) => lab.probes.filter((p) => p.endsWith('.c'))),
  ]);
  for (const source of sources) buildProbe(source);

  const runs: LabRun[] = [];
  const pcaps: Buffer[] = [];
  let allHold = true;
  for (const lab of opts.labs) {
    if (!opts.json) process.stderr.write(`running ${lab.id} …\n`);
    let output;
    try {
      output = await runLab(lab, (ctx) => (current = ctx));
    } catch (error) {
      // Interrupted: the probes died because we are cleaning up; onSignal exits with 130.
      if (interrupted) return new Promise<number>(() => {});
      throw error;
    }
    if (interrupted) return new Promise<number>(() => {});
    const { run, pcaps: captured } = output;
    runs.push(run);
    pcaps.push(...captured);
    if (opts.command === 'record') {
      writeRecording(run, concatPcaps(captured));
      process.stderr.write(`recorded ${lab.id} (${(run.wallMs / 1000).toFixed(1)} s)\n`);
    }
    if (!opts.json) {
      const { text, allHold: held } = report(lab, run);
      allHold &&= held;
      console.log(`${text}\n`);
    }
  }
  if (opts.json) console.log(JSON.stringify(runs, null, 1));
  if (opts.pcap) {
    const pcap = concatPcaps(pcaps);
    if (pcap) writeFileSync(opts.pcap, pcap);
    if (!opts.json)
      process.stderr.write(
        `wrote ${pcaps.length ? runs.reduce((n, r) => n + r.packets.length, 0) : 0} packets to ${opts.pcap}\n`,
      );
  }
  return opts.strict && !allHold ? EXIT.claimFailed : EXIT.ok;
}

async function dispatch(argv: string[], labs: Lab[]): Promise<number> {
  const opts = parseCli(argv, labs);
  switch (opts.command) {
    case 'help':
      console.log(HELP);
      return EXIT.ok;
    case 'list':
      console.log(list(labs));
      return EXIT.ok;
    case 'doctor':
      return doctor();
  }
  if (insideSandbox()) return runInside(opts);
  return runInSandbox([process.argv[1], ...argv], process.env.SOCKET_LABS_SIMULATE_REFUSAL === '1');
}

/** Runs the command line against the registry (labs/index.ts) and sets the exit code. */
export function main(argv: string[], labs: Lab[]): Promise<void> {
  return dispatch(argv, labs).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof LabError) {
        console.error(`lab: ${error.message}`);
        if (error.hint) console.error(`hint: ${error.hint}`);
        process.exitCode = error.exitCode;
      } else if (error && typeof error === 'object' && 'exitCode' in error && 'stderr' in error) {
        // A setup command run through zx failed: say which way in one line, not a dump.
        const { exitCode, stderr } = error as { exitCode: number | null; stderr: string };
        const why =
          exitCode !== null && exitCode < 0
            ? `could not be started (${-exitCode === 13 ? 'EACCES: is the working directory readable?' : `errno ${-exitCode}`})`
            : `exited ${exitCode}`;
        console.error(
          `lab: a setup command ${why}${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`,
        );
        process.exitCode = EXIT.setup;
      } else {
        console.error(error);
        process.exitCode = EXIT.setup;
      }
    },
  );
}
