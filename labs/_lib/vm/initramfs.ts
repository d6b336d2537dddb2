/**
 * The initramfs that turns the host's root file system into the guest's: busybox, the modules
 * needed to reach the root over virtio-9p, and two scripts. Stage 1 (/init, busybox) loads the
 * modules, mounts the host root read-only with a tmpfs overlay on top (the guest can write, the
 * host is never written) and switch_roots into it (a plain chroot would break module autoloading:
 * the kernel runs /sbin/modprobe in init's root). Stage 2 (the host's /bin/sh, as PID 1) mounts
 * the pseudo file systems, the run's share and the kernel's modules, then runs /vm/run.sh.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync, zstdDecompressSync } from 'node:zlib';
import { cacheDir } from '../cache.ts';
import { writeNewc, type CpioEntry } from './cpio.ts';
import type { VmKernel } from './kernels.ts';
import { moduleLoadOrder, ROOT_MODULES, type ModuleFile } from './modules.ts';
import { requireTool, TOOLS } from './tools.ts';

/** Where the run's writable share appears in the guest. */
export const GUEST_SHARE = '/vm';
/** Console lines the guest prints for the host: `@@vm:ready <uptime>`, `@@vm:start <i>`, ... */
export const MARK = '@@vm:';
/** 9p message size: large messages make reading node and the labs over 9p several times faster. */
const MSIZE = 524288;

/** One member of the initramfs before its bytes are read: a host file, a text, a dir, a link or a device. */
export type PlannedEntry =
  | { type: 'dir'; path: string }
  | { type: 'file'; path: string; from: string; mode: number }
  | { type: 'file'; path: string; text: string; mode: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char'; path: string; major: number; minor: number };

/** What the initramfs of one kernel is made of. */
export interface InitramfsInputs {
  name: string;
  release: string;
  /** The kernel's lib/modules/<release> on the host (bind-mounted at the same place in the guest). */
  modulesDir: string;
  /** Modules to insmod in this order, paths relative to modulesDir. */
  modules: ModuleFile[];
  /** A static busybox on the host. */
  busybox: string;
}

/** Every member of the archive, parents first. Pure: no file is read. */
export function initramfsPlan(inputs: InitramfsInputs): PlannedEntry[] {
  const dirs = ['bin', 'dev', 'proc', 'sys', 'mnt', 'mnt/lower', 'mnt/rw', 'mnt/root', 'modules'];
  return [
    ...dirs.map((path): PlannedEntry => ({ type: 'dir', path })),
    // The kernel opens /dev/console for init's stdio before anything could mount devtmpfs.
    { type: 'char', path: 'dev/console', major: 5, minor: 1 },
    { type: 'file', path: 'bin/busybox', from: inputs.busybox, mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    ...inputs.modules.map((m): PlannedEntry => ({
      type: 'file',
      path: `modules/${m.name}.ko`,
      from: join(inputs.modulesDir, m.path),
      mode: 0o644,
    })),
    {
      type: 'file',
      path: 'init',
      text: initScript(inputs.modules.map((m) => m.name)),
      mode: 0o755,
    },
    { type: 'file', path: 'stage2.sh', text: stage2Script(inputs), mode: 0o755 },
  ];
}

/** Stage 1, run by busybox as PID 1 in the initramfs. */
export function initScript(modules: string[]): string {
  return `#!/bin/sh
# Stage 1: load the modules, mount host root (9p, read-only) + tmpfs overlay, switch_root.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
fail() { echo "${MARK}fail $*"; echo o > /proc/sysrq-trigger; sleep 60; }
${modules.map((m) => `insmod /modules/${m}.ko || fail "insmod ${m}"`).join('\n')}
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=${MSIZE} hostroot /mnt/lower || fail "mount the host root over 9p"
mount -t tmpfs -o mode=0755 guest-rw /mnt/rw && mkdir /mnt/rw/upper /mnt/rw/work || fail "mount the overlay's tmpfs"
mount -t overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay /mnt/root || fail "mount the overlay"
mount -t tmpfs -o mode=0755 run /mnt/root/run && cp /stage2.sh /mnt/root/run/vm-stage2.sh || fail "prepare /run"
umount /proc
exec switch_root /mnt/root /bin/sh /run/vm-stage2.sh
`;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Stage 2, run by the host's /bin/sh as PID 1 in the overlaid host root. */
export function stage2Script(k: Pick<InitramfsInputs, 'name' | 'release' | 'modulesDir'>): string {
  return `# Stage 2: pseudo file systems, the share, the modules; then the run's own script.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
cd /
fail() { echo "${MARK}fail $*"; echo o > /proc/sysrq-trigger; while :; do sleep 60; done; }
mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs devtmpfs /dev || fail "mount proc, sys, dev"
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs -o mode=1777 shm /dev/shm || fail "mount devpts, shm"
# No tmpfs on /tmp: the overlaid root already writes there into the guest's memory, and a
# checkout or cache under the host's /tmp (a CI clone) must stay visible to the guest.
mkdir -p ${GUEST_SHARE} && mount -t 9p -o trans=virtio,version=9p2000.L,msize=${MSIZE} share ${GUEST_SHARE} || fail "mount the share"
# The guest kernel autoloads veth, sch_netem, nf_tables ... with the host's modprobe, from here.
mkdir -p /lib/modules/${k.release} && mount --bind ${q(k.modulesDir)} /lib/modules/${k.release} || fail "bind the modules"
hostname ${q(`vm-${k.name.replace(/[^a-z0-9-]/gi, '-')}`)}
ip link set lo up
echo "${MARK}ready $(cut -d' ' -f1 /proc/uptime)"
. ${GUEST_SHARE}/run.sh
echo "${MARK}end"
sync
echo o > /proc/sysrq-trigger
while :; do sleep 60; done 2> /dev/null
`;
}

/** The inputs for a kernel: its modules resolved from modules.dep and modules.builtin. */
export function initramfsInputs(kernel: VmKernel): InitramfsInputs {
  const read = (file: string) => readFileSync(join(kernel.modulesDir, file), 'utf8');
  const modules = moduleLoadOrder(
    ROOT_MODULES,
    read('modules.dep'),
    read('modules.builtin'),
    kernel.release,
  );
  return {
    name: kernel.name,
    release: kernel.release,
    modulesDir: kernel.modulesDir,
    modules,
    busybox: requireTool(TOOLS.busybox),
  };
}

/**
 * The gzipped initramfs for `kernel`, built once and cached under a hash of everything that goes
 * in (scripts, busybox, modules); a second call only hashes.
 */
export function buildInitramfs(
  kernel: VmKernel,
  inputs: InitramfsInputs = initramfsInputs(kernel),
): string {
  const plan = initramfsPlan(inputs);
  const hash = createHash('sha256');
  for (const entry of plan) {
    hash.update(JSON.stringify({ ...entry, from: undefined }));
    if ('from' in entry) hash.update(readFileSync(entry.from));
  }
  const dir = cacheDir('vm');
  const prefix = `initramfs-${kernel.release}-`;
  const path = join(dir, `${prefix}${hash.digest('hex').slice(0, 16)}.cpio.gz`);
  if (existsSync(path)) return path;
  const archive = gzipSync(writeNewc(plan.map(materialize)));
  // Older builds for this release are superseded; write the new one atomically.
  for (const old of readdirSync(dir).filter((f) => f.startsWith(prefix)))
    rmSync(join(dir, old), { force: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, archive);
  renameSync(partial, path);
  return path;
}

function materialize(entry: PlannedEntry): CpioEntry {
  if (entry.type !== 'file') return entry;
  if ('text' in entry)
    return { type: 'file', path: entry.path, data: Buffer.from(entry.text), mode: entry.mode };
  return { type: 'file', path: entry.path, data: readModuleOrFile(entry.from), mode: entry.mode };
}

// busybox insmod loads plain .ko files: Debian 6.12 ships .ko.xz (node:zlib has no xz, busybox has).
function readModuleOrFile(path: string): Uint8Array {
  if (path.endsWith('.ko.gz')) return gunzipSync(readFileSync(path));
  if (path.endsWith('.ko.zst')) return zstdDecompressSync(readFileSync(path));
  if (!path.endsWith('.ko.xz')) return readFileSync(path);
  const result = spawnSync(requireTool(TOOLS.busybox), ['xzcat', path], { maxBuffer: 256 << 20 });
  if (result.status !== 0)
    throw new Error(`busybox xzcat ${path} failed: ${result.stderr.toString().trim()}`);
  return result.stdout;
}
