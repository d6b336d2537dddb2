/**
 * The VM layer's API: run commands under another kernel, in one qemu boot, several at a time.
 *
 *   const k = kernel('6.1');                       // downloads and unpacks on first use
 *   const r = await runInGuest(k, { commands: [labCommand('handshakes/three-way-handshake')] });
 *   JSON.parse(r.commands[0].stdout) as LabRun[];
 *
 * `kernel('host')` runs the same commands directly on this machine, with the same result shape.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cacheDir } from '../cache.ts';
import { fileURLToPath } from 'node:url';
import { detectAccel } from './accel.ts';
import { EXIT, LabError } from '../errors.ts';
import { GuestFailedError, GuestTimeoutError, panicLine } from './errors.ts';
import { buildInitramfs } from './initramfs.ts';
import type { Kernel, VmKernel } from './kernels.ts';
import { boot, type Accel, type BootOutcome } from './qemu.ts';
import { createShare, type CommandOutput, type GuestCommand } from './share.ts';

export { availability, customKernel, DEFAULT_KERNELS, kernel } from './kernels.ts';
export type { Kernel } from './kernels.ts';
export type { GuestCommand } from './share.ts';
export type { Accel } from './qemu.ts';

/** The repository root: the guest sees it at the same path. */
export const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');

/** Options of one run. */
export interface RunOptions {
  commands: GuestCommand[];
  /** Commands running at once (default 4). */
  concurrency?: number;
  /** For the whole run, boot included (default 10 min); then qemu is killed. */
  timeoutMs?: number;
  /** Added to every command's environment. */
  env?: Record<string, string>;
  /** Guest vCPUs (default 2) and memory (default 2048 MiB). */
  cpus?: number;
  memoryMiB?: number;
  /** "auto" (default) probes KVM once per host boot and falls back to TCG. */
  accel?: Accel | 'auto';
  /** Extra guest kernel command line words. */
  kernelArgs?: string[];
  /** Every console line of the guest, as it comes. */
  onSerialLine?: (line: string) => void;
  /** Each command's result as soon as it finishes. */
  onCommandDone?: (result: CommandResult) => void;
  /** Where notes such as the TCG fallback go (default stderr). */
  log?: (line: string) => void;
}

/** One command's result. */
export interface CommandResult extends CommandOutput {
  index: number;
  label: string;
  argv: string[];
}

/** A whole run's result. */
export interface GuestResult {
  kernel: { name: string; release: string; package?: string; packageVersion?: string };
  /** "none": the host kernel, no VM. */
  accel: Accel | 'none';
  /** ms from starting qemu to the guest ready to run commands (0 on the host). */
  bootMs: number;
  /** ms of the whole run, boot and power-off included. */
  wallMs: number;
  commands: CommandResult[];
  /** The first non-zero exit code of the commands, else 0. */
  exitCode: number;
  /** qemu's peak resident memory in MiB (undefined on the host). */
  peakRssMiB?: number;
}

/**
 * The command that runs one lab (or chapter) with --json, as the guest or the host runs it;
 * `repo` is the checkout whose labs/cli.ts runs (default: this one).
 */
export function labCommand(id: string, extra: string[] = [], repo = REPO): GuestCommand {
  return {
    argv: [process.execPath, resolve(repo, 'labs', 'cli.ts'), id, '--json', ...extra],
    cwd: repo,
    label: id,
  };
}

/**
 * The guest sees the host's file system, except where it mounts its own: /proc, /sys, /dev and
 * /run. A checkout or kernel cache there would vanish inside the guest; say so before booting.
 */
export function refuseHiddenPaths(paths: string[]): void {
  for (const path of paths) {
    const hidden = ['/proc', '/sys', '/dev', '/run'].find(
      (m) => path === m || path.startsWith(`${m}/`),
    );
    if (hidden) {
      throw new LabError(
        EXIT.usage,
        `${path} is under ${hidden}, which the guest mounts afresh: it would not see it.`,
        'Run the matrix from a checkout (and cache) elsewhere, e.g. under /tmp or your home.',
      );
    }
  }
}

/** Runs the commands under `kernel` (in one VM boot, or directly for the host) and collects their output. */
export async function runInGuest(kernel: Kernel, opts: RunOptions): Promise<GuestResult> {
  const commands = opts.commands.map((c) => ({ ...c, env: { ...opts.env, ...c.env } }));
  if (kernel.kind === 'host') return runOnHost(kernel.release, commands, opts);
  refuseHiddenPaths([REPO, kernel.modulesDir]);
  const started = performance.now();
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const accel =
    opts.accel && opts.accel !== 'auto' ? opts.accel : (await detectAccel(kernel, opts.log)).accel;
  const initrd = buildInitramfs(kernel);
  // The guest's own watchdog outlives our timer a little: it matters only if we were killed.
  const share = createShare(
    commands,
    opts.concurrency ?? 4,
    Math.ceil(timeoutMs / 1000) + 30,
    REPO,
  );
  const results: CommandResult[] = [];
  const running = new Set<number>();
  try {
    const collect = (i: number) => {
      running.delete(i);
      const output = share.read(i);
      if (!output || results.some((r) => r.index === i)) return;
      const result = { index: i, label: labelOf(commands[i]), argv: commands[i].argv, ...output };
      results.push(result);
      opts.onCommandDone?.(result);
    };
    const outcome = await boot(
      {
        kernel,
        initrd,
        share: share.dir,
        accel,
        cpus: opts.cpus ?? 2,
        memoryMiB: opts.memoryMiB ?? 2048,
        kernelArgs: opts.kernelArgs,
      },
      {
        timeoutMs,
        onLine: (line) => {
          const [, kind, index] = /@@vm:(start|done) (\d+)/.exec(line) ?? [];
          if (kind === 'start') running.add(Number(index));
          if (kind === 'done') collect(Number(index));
          opts.onSerialLine?.(line);
        },
      },
    );
    if (outcome.callbackError) throw outcome.callbackError;
    // Who was running when it ended, before collecting what finished without a console line.
    const busy = [...running].map((i) => labelOf(commands[i]));
    commands.forEach((_, i) => collect(i));
    const name = `${kernel.name} (${kernel.release})`;
    const doing = busy.length
      ? `while running ${busy.join(', ')}`
      : outcome.readyMs === undefined
        ? 'while booting'
        : 'between commands';
    if (outcome.timedOut) {
      throw new GuestTimeoutError(name, timeoutMs, doing.replace(/^while /, ''), outcome.serial);
    }
    if (!outcome.ended)
      throw new GuestFailedError(name, whatFailed(outcome, doing), outcome.serial);
    results.sort((a, b) => a.index - b.index);
    return {
      kernel: describe(kernel),
      accel,
      bootMs: Math.round(outcome.readyMs ?? 0),
      wallMs: Math.round(performance.now() - started),
      commands: results,
      exitCode: results.find((r) => r.exitCode !== 0)?.exitCode ?? 0,
      peakRssMiB: outcome.peakRssMiB,
    };
  } finally {
    share.dispose();
  }
}

function describe(kernel: VmKernel) {
  return {
    name: kernel.name,
    release: kernel.release,
    package: kernel.package,
    packageVersion: kernel.packageVersion,
  };
}

// One line: a panic (with its reason), a failed init step, or qemu's own complaint.
function whatFailed(outcome: BootOutcome, doing: string): string {
  const panic = panicLine(outcome.serial);
  if (panic) return `panicked ${doing}: ${panic}`;
  if (outcome.failed) return `could not start: ${outcome.failed}`;
  const qemu = outcome.stderr.trim().split('\n').at(-1);
  if (qemu) return `stopped ${doing}: qemu exited ${outcome.exitCode}: ${qemu}`;
  return `stopped ${doing} without a panic message (qemu exited ${outcome.exitCode})`;
}

const labelOf = (c: GuestCommand) => c.label ?? c.argv.join(' ');

// The host: the same commands as local processes, `concurrency` at a time.
async function runOnHost(
  release: string,
  commands: GuestCommand[],
  opts: RunOptions,
): Promise<GuestResult> {
  const started = performance.now();
  const results: CommandResult[] = new Array(commands.length);
  let next = 0;
  const worker = async () => {
    while (next < commands.length) {
      const i = next++;
      results[i] = {
        index: i,
        label: labelOf(commands[i]),
        argv: commands[i].argv,
        ...(await runLocal(commands[i], opts.timeoutMs ?? 600_000)),
      };
      opts.onCommandDone?.(results[i]);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(opts.concurrency ?? 4, commands.length) }, worker),
  );
  return {
    kernel: { name: 'host', release },
    accel: 'none',
    bootMs: 0,
    wallMs: Math.round(performance.now() - started),
    commands: results,
    exitCode: results.find((r) => r.exitCode !== 0)?.exitCode ?? 0,
  };
}

function runLocal(command: GuestCommand, timeoutMs: number): Promise<CommandOutput> {
  // `{out}` (see GuestCommand): a prefix in a temporary directory of the cache, read back here.
  const outDir = mkdtempSync(join(cacheDir('vm'), 'host-'));
  const argv = command.argv.map((a) => a.replaceAll('{out}', join(outDir, 'out')));
  return new Promise((done) => {
    const started = performance.now();
    const child = spawn(argv[0], argv.slice(1), {
      cwd: command.cwd ?? REPO,
      env: { ...process.env, ...command.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // SIGINT: the lab CLI cleans up on it (a SIGKILLed launcher would still leave nothing).
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('error', (error) => (stderr += error.message));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const pcapFile = join(outDir, 'out.pcap');
      const pcap = existsSync(pcapFile) ? readFileSync(pcapFile) : undefined;
      rmSync(outDir, { recursive: true, force: true });
      done({
        exitCode: code ?? 128 + (signal === 'SIGINT' ? 2 : 9),
        stdout,
        stderr,
        wallMs: Math.round(performance.now() - started),
        ...(pcap ? { pcap } : {}),
      });
    });
  });
}
