/**
 * KVM or TCG. /dev/kvm can exist and still not boot a stock kernel (a nested "kvm-pvm" hangs
 * after "Probing EDD"), so KVM counts only after a short real boot succeeds. The verdict is cached
 * for this host boot (keyed by its boot_id) and announced once per process.
 */
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cacheDir } from '../cache.ts';
import { NoAccelerationError } from './errors.ts';
import { buildInitramfs } from './initramfs.ts';
import type { VmKernel } from './kernels.ts';
import { boot, type Accel } from './qemu.ts';
import { createShare } from './share.ts';
import { requireTool, TOOLS } from './tools.ts';

/** The verdict and why. */
export interface AccelVerdict {
  accel: Accel;
  reason: string;
}

/** A KVM boot of the stock kernel takes about a second; a hung one is given this long. */
const PROBE_TIMEOUT_MS = 15_000;
let announced = false;

/** KVM if it can boot `kernel`, else TCG; throws NoAccelerationError if qemu has neither. */
export async function detectAccel(
  kernel: VmKernel,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<AccelVerdict> {
  const file = join(cacheDir('vm'), 'accel.json');
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  let verdict: AccelVerdict | undefined;
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as AccelVerdict & { bootId: string };
    if (cached.bootId === bootId) verdict = { accel: cached.accel, reason: cached.reason };
  } catch {
    // No verdict yet for this host boot.
  }
  if (!verdict) {
    verdict = (await probeKvm(kernel)) ?? {
      accel: 'tcg',
      reason: kvmMissingReason() ?? 'KVM did not work',
    };
    writeFileSync(file, `${JSON.stringify({ ...verdict, bootId })}\n`);
  }
  if (verdict.accel === 'tcg') requireTcg();
  if (!announced) {
    announced = true;
    log(
      verdict.accel === 'kvm'
        ? `vm: using KVM (${verdict.reason})`
        : `vm: using TCG emulation, several times slower than KVM (${verdict.reason})`,
    );
  }
  return verdict;
}

function kvmMissingReason(): string | undefined {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return undefined;
  } catch (error) {
    return `/dev/kvm is not usable: ${(error as NodeJS.ErrnoException).code}`;
  }
}

// A boot with no commands: ready, end, power off. Anything else within the limit means no KVM.
async function probeKvm(
  kernel: VmKernel,
): Promise<AccelVerdict | { accel: 'tcg'; reason: string } | undefined> {
  if (kvmMissingReason()) return undefined;
  const share = createShare([], 1, 60, '/');
  try {
    const outcome = await boot(
      {
        kernel,
        initrd: buildInitramfs(kernel),
        share: share.dir,
        accel: 'kvm',
        cpus: 1,
        memoryMiB: 512,
      },
      { timeoutMs: PROBE_TIMEOUT_MS },
    );
    if (outcome.ended)
      return {
        accel: 'kvm',
        reason: `a test boot of ${kernel.release} took ${Math.round(outcome.readyMs ?? 0)} ms`,
      };
    const why = outcome.timedOut
      ? `/dev/kvm exists but a test boot of ${kernel.release} hung for ${PROBE_TIMEOUT_MS / 1000} s (nested KVM such as kvm-pvm?)`
      : `/dev/kvm exists but qemu -accel kvm failed: ${outcome.stderr.trim().split('\n').at(-1) ?? `exit ${outcome.exitCode}`}`;
    return { accel: 'tcg', reason: why };
  } finally {
    share.dispose();
  }
}

function requireTcg(): void {
  const help = spawnSync(requireTool(TOOLS.qemu), ['-accel', 'help'], { encoding: 'utf8' });
  if (!/^tcg$/m.test(help.stdout ?? ''))
    throw new NoAccelerationError(
      `no usable KVM and this qemu has no TCG (-accel help: ${(help.stdout ?? '').trim().replace(/\n/g, ', ')})`,
    );
}
