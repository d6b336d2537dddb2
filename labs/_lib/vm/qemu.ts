/**
 * One qemu boot: the argv, the process, its serial console line by line, the time limit. The
 * guest has no network device (the labs make their own veths inside it), sees the host's root
 * read-only over virtio-9p, and writes only to the run's share directory.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { VmKernel } from './kernels.ts';
import { onCleanup } from './cleanup.ts';
import { MARK } from './initramfs.ts';
import { requireTool, TOOLS } from './tools.ts';

export type Accel = 'kvm' | 'tcg';

// ANSI escape sequences, then every other control character but the tab.
// eslint-disable-next-line no-control-regex -- control characters are what this removes
const CONTROL = /\x1b\[[0-9;?]*[A-Za-z]|\x1bc|[\r\x00-\x08\x0b-\x1f]/g;

/** Everything a boot needs. */
export interface BootSpec {
  kernel: VmKernel;
  initrd: string;
  /** Host directory exported writable as the guest's /vm. */
  share: string;
  accel: Accel;
  cpus: number;
  memoryMiB: number;
  /** Extra kernel command line words (X=Y words would become init's environment: avoid those). */
  kernelArgs?: string[];
}

/** The qemu argv (without the binary). Pure. */
export function qemuArgv(spec: BootSpec): string[] {
  const append = [
    'console=ttyS0',
    // Only warnings and worse on the console: every character costs under emulation.
    'quiet',
    // A panic reboots at once, and -no-reboot turns the reboot into qemu exiting.
    'panic=-1',
    // The guest's RNG is seeded from RDRAND at once (Node blocks on getrandom() until it is).
    'random.trust_cpu=on',
    ...(spec.kernelArgs ?? []),
  ];
  return [
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    ...(spec.accel === 'kvm'
      ? ['-accel', 'kvm', '-cpu', 'host']
      : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
    '-smp',
    String(spec.cpus),
    '-m',
    String(spec.memoryMiB),
    '-kernel',
    spec.kernel.vmlinuz,
    '-initrd',
    spec.initrd,
    '-append',
    append.join(' '),
    '-serial',
    'stdio',
    '-monitor',
    'none',
    // No network device at all: nothing in the guest can reach the host's networks.
    '-nic',
    'none',
    '-virtfs',
    'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs',
    `local,path=${spec.share},mount_tag=share,security_model=none,multidevs=remap`,
  ];
}

/** How a boot ended; the caller decides what it means. */
export interface BootOutcome {
  /** ms from starting qemu to the guest's ready line (undefined: never ready). */
  readyMs?: number;
  /** The guest printed its end line (all commands finished) before qemu exited. */
  ended: boolean;
  /** The reason of a `@@vm:fail` line from the init scripts. */
  failed?: string;
  timedOut: boolean;
  exitCode: number | null;
  wallMs: number;
  /** qemu's peak resident memory (VmHWM) as of the guest's last marker line, in MiB. */
  peakRssMiB?: number;
  /** The console, for error messages. */
  serial: string[];
  /** qemu's own stderr (refusals such as a bad -accel). */
  stderr: string;
  /** The caller's onLine threw this: qemu was killed and the run ends with it. */
  callbackError?: unknown;
}

/** Boots and waits for qemu to end or the time limit; qemu is always dead when this resolves. */
export function boot(
  spec: BootSpec,
  opts: { timeoutMs: number; onLine?: (line: string) => void },
): Promise<BootOutcome> {
  const qemu = requireTool(TOOLS.qemu);
  // With setpriv, qemu gets SIGKILL when we die, even by SIGKILL (which no handler sees).
  const [cmd, args] = existsSync('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', qemu, ...qemuArgv(spec)]]
    : [qemu, qemuArgv(spec)];
  const started = performance.now();
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const outcome: BootOutcome = {
    ended: false,
    timedOut: false,
    exitCode: null,
    wallMs: 0,
    serial: [],
    stderr: '',
  };
  const release = onCleanup(() => child.kill('SIGKILL'));
  const timer = setTimeout(() => {
    outcome.timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);
  let partial = '';
  const line = (raw: string) => {
    // Firmware and the kernel write control sequences and \r; keep the text only.
    const text = raw.replace(CONTROL, '');
    outcome.serial.push(text);
    if (outcome.serial.length > 400) outcome.serial.splice(0, 100);
    const mark = text.indexOf(MARK);
    if (mark >= 0) {
      const [kind, ...rest] = text.slice(mark + MARK.length).split(' ');
      if (kind === 'ready') outcome.readyMs ??= performance.now() - started;
      if (kind === 'end') outcome.ended = true;
      outcome.peakRssMiB = peakRss(child.pid) ?? outcome.peakRssMiB;
      if (kind === 'fail') outcome.failed ??= rest.join(' ');
    }
    try {
      opts.onLine?.(text);
    } catch (error) {
      outcome.callbackError ??= error;
      child.kill('SIGKILL');
    }
  };
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    const lines = (partial + data).split('\n');
    partial = lines.pop()!;
    lines.forEach(line);
  });
  child.stderr.setEncoding('utf8').on('data', (data: string) => (outcome.stderr += data));
  return new Promise((resolve) => {
    child.on('error', (error) => (outcome.stderr += `${error.message}\n`));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (partial) line(partial);
      release();
      outcome.exitCode = code;
      outcome.wallMs = performance.now() - started;
      resolve(outcome);
    });
  });
}

// Read while qemu lives (at each marker line): once it has exited the figure is gone.
function peakRss(pid: number | undefined): number | undefined {
  try {
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib ? Math.round(Number(kib) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
