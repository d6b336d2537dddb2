/**
 * Why a VM run could not happen, each cause its own class and exit code, so the matrix CLI can
 * tell "this kernel could not be booted" from "the kernel behaved differently" (a claim result).
 * Codes 0-6 and 130 belong to labs/_lib/errors.ts; the VM layer adds 7-9.
 */
import { EXIT, LabError } from '../errors.ts';

/** Exit codes of the VM layer, after those of `EXIT`. */
export const VM_EXIT = {
  /** The kernel cannot be used: not in the apt sources, download failed, not a bzImage, wrong modules. */
  badKernel: 7,
  /** The guest died before finishing: kernel panic, broken initramfs, qemu crashed or refused to start. */
  guestFailed: 8,
  /** The guest did not finish within the time limit (it was killed). */
  guestTimeout: 9,
} as const;

/** The file given as vmlinuz is not an x86 bzImage. */
export class NotAKernelError extends LabError {
  constructor(path: string, why: string) {
    super(
      VM_EXIT.badKernel,
      `${path} is not a Linux bzImage: ${why}.`,
      'Pass the vmlinuz-<release> file from /boot or a kernel package.',
    );
    this.name = 'NotAKernelError';
  }
}

/** The modules directory is missing or lacks the files depmod leaves in it. */
export class ModulesDirError extends LabError {
  constructor(path: string, why: string) {
    super(
      VM_EXIT.badKernel,
      `Modules directory ${path} ${why}.`,
      'Pass the lib/modules/<release> directory that came with the kernel.',
    );
    this.name = 'ModulesDirError';
  }
}

/** The modules directory belongs to another kernel release than the vmlinuz. */
export class ModulesMismatchError extends LabError {
  constructor(modulesDir: string, modulesRelease: string, kernelRelease: string) {
    super(
      VM_EXIT.badKernel,
      `Modules directory ${modulesDir} is for ${modulesRelease}, but the kernel is ${kernelRelease}.`,
      `Pass lib/modules/${kernelRelease} of the same build.`,
    );
    this.name = 'ModulesMismatchError';
  }
}

/** apt has no such kernel package, or downloading / unpacking it failed. */
export class KernelFetchError extends LabError {
  constructor(message: string, hint: string) {
    super(VM_EXIT.badKernel, message, hint);
    this.name = 'KernelFetchError';
  }
}

/** A host tool the VM layer needs is not installed. */
export class MissingHostToolError extends LabError {
  constructor(tool: string, install: string) {
    super(
      EXIT.missingTool,
      `${tool} is not installed (needed to boot other kernels).`,
      `Install it: ${install}`,
    );
    this.name = 'MissingHostToolError';
  }
}

/** Neither KVM nor TCG can run a guest. */
export class NoAccelerationError extends LabError {
  constructor(why: string) {
    super(
      EXIT.missingTool,
      `qemu can run no guest here: ${why}.`,
      'Install qemu-system-x86 (apt-get install -y qemu-system-x86), whose TCG needs no /dev/kvm.',
    );
    this.name = 'NoAccelerationError';
  }
}

/** The guest kernel died or stopped before its commands finished. */
export class GuestFailedError extends LabError {
  /** The last lines of the serial console. */
  readonly serialTail: string[];
  constructor(kernel: string, what: string, serial: string[]) {
    super(
      VM_EXIT.guestFailed,
      `Guest kernel ${kernel} ${what}.`,
      'Its console is in error.serialTail; boot it with kernelArgs ["loglevel=7"] to see everything.',
    );
    this.name = 'GuestFailedError';
    this.serialTail = serial.slice(-60);
  }
}

/** The guest did not finish in time; qemu was killed. */
export class GuestTimeoutError extends LabError {
  readonly serialTail: string[];
  constructor(kernel: string, timeoutMs: number, running: string, serial: string[]) {
    super(
      VM_EXIT.guestTimeout,
      `Guest kernel ${kernel} did not finish in ${Math.round(timeoutMs / 1000)} s (${running}); qemu was killed.`,
      'Give it longer (timeoutMs) if it was only slow: under TCG a lab takes 15-60 s.',
    );
    this.name = 'GuestTimeoutError';
    this.serialTail = serial.slice(-60);
  }
}

/** The kernel's own last words on the console: its panic line without the timestamp, if any. */
export function panicLine(serial: string[]): string | undefined {
  const line = serial.findLast((l) => /Kernel panic - not syncing/.test(l));
  return line?.replace(/^.*Kernel panic - not syncing: */, '').trim();
}
