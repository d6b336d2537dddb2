/**
 * The run directory shared with the guest as /vm: run.sh (what stage 2 sources), one script per
 * command in cmd/, and what comes back in out/ (each command's stdout, stderr and exit status).
 * It lives in the cache, never elsewhere, and is removed when the run ends; one left by a process
 * that was killed outright is removed by the next run.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../cache.ts';
import { alive, onCleanup } from './cleanup.ts';
import { GUEST_SHARE, MARK } from './initramfs.ts';

/** One command to run in the guest. */
export interface GuestCommand {
  /**
   * The command; `{out}` in an argument becomes the path prefix of this command's output in the
   * share, so `--pcap {out}.pcap` brings a capture back (see `CommandOutput.pcap`).
   */
  argv: string[];
  /** Added to the guest's environment (PATH, HOME=/root, LANG are set already). */
  env?: Record<string, string>;
  /** Working directory in the guest (the host's paths are the guest's). */
  cwd?: string;
  /** A name for messages ("handshakes/three-way-handshake"); defaults to the argv. */
  label?: string;
}

/** What a command left in the share. */
export interface CommandOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Wall time inside the guest, from its own clock. */
  wallMs: number;
  /** The file the command wrote at `{out}.pcap`, if any. */
  pcap?: Buffer;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The script that runs command `i`, its output redirected into out/. Pure. */
export function commandScript(i: number, command: GuestCommand, defaultCwd: string): string {
  const env = Object.entries(command.env ?? {}).map(([k, v]) => q(`${k}=${v}`));
  const out = `${GUEST_SHARE}/out/${i}`;
  return `echo "${MARK}start ${i}"
start=$(date +%s%N)
(cd ${q(command.cwd ?? defaultCwd)} && exec env ${env.join(' ')} ${command.argv.map((a) => q(a.replaceAll('{out}', out))).join(' ')}) > ${out}.stdout 2> ${out}.stderr < /dev/null
code=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$code $ms" > ${out}.exit
echo "${MARK}done ${i} $code $ms"
`;
}

/**
 * run.sh: a watchdog that powers the guest off if the host is gone and the run overstays, then
 * the commands, `concurrency` at a time (xargs -P). Pure.
 */
export function runScript(count: number, concurrency: number, watchdogS: number): string {
  return `(sleep ${watchdogS}; echo "${MARK}fail watchdog: still running after ${watchdogS} s"; echo o > /proc/sysrq-trigger) &
${count ? `seq 0 ${count - 1} | xargs -P ${concurrency} -I{} /bin/sh ${GUEST_SHARE}/cmd/{}.sh` : ''}
`;
}

/** A fresh run directory in the cache, removed by `dispose()` or at exit, whatever happens. */
export function createShare(
  commands: GuestCommand[],
  concurrency: number,
  watchdogS: number,
  defaultCwd: string,
) {
  const root = join(cacheDir('vm'), 'runs');
  mkdirSync(root, { recursive: true });
  removeAbandoned(root);
  const dir = join(root, `${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  mkdirSync(join(dir, 'cmd'), { recursive: true });
  mkdirSync(join(dir, 'out'));
  const dispose = onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  commands.forEach((c, i) =>
    writeFileSync(join(dir, 'cmd', `${i}.sh`), commandScript(i, c, defaultCwd)),
  );
  writeFileSync(join(dir, 'run.sh'), runScript(commands.length, concurrency, watchdogS));
  return { dir, dispose, read: (i: number) => readOutput(dir, i) };
}

/** Command i's output, or undefined if it has not finished (no exit file yet). */
export function readOutput(dir: string, i: number): CommandOutput | undefined {
  const file = (ext: string) => {
    try {
      return readFileSync(join(dir, 'out', `${i}.${ext}`), 'utf8');
    } catch {
      return undefined;
    }
  };
  const status = file('exit');
  if (status === undefined) return undefined;
  const [exitCode, wallMs] = status.trim().split(' ').map(Number);
  let pcap: Buffer | undefined;
  try {
    pcap = readFileSync(join(dir, 'out', `${i}.pcap`));
  } catch {
    pcap = undefined;
  }
  return {
    exitCode,
    wallMs,
    stdout: file('stdout') ?? '',
    stderr: file('stderr') ?? '',
    ...(pcap ? { pcap } : {}),
  };
}

// Directories named <pid>-<random> whose process is gone were abandoned by a killed run.
function removeAbandoned(root: string): void {
  for (const entry of readdirSync(root)) {
    const pid = Number(entry.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid))
      rmSync(join(root, entry), { recursive: true, force: true });
  }
}
