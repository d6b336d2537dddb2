/**
 * The kernels of the matrix: the host's own (no VM), the newest Debian 6.1 and 6.12 image packages
 * the apt sources offer (downloaded with `apt-get download` and unpacked into the cache, never
 * installed), or a custom vmlinuz with its modules directory.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { release as hostRelease } from 'node:os';
import { basename, join } from 'node:path';
import { cacheDir } from '../cache.ts';
import { bzImageRelease } from './bzimage.ts';
import { alive } from './cleanup.ts';
import { KernelFetchError, ModulesDirError, ModulesMismatchError } from './errors.ts';
import {
  compareVersions,
  DEFAULT_SERIES,
  newestPackage,
  packageVersions,
  type KernelPackage,
} from './packages.ts';
import { findTool, requireTool, TOOLS } from './tools.ts';

/** The running kernel: labs run directly, no VM. */
export interface HostKernel {
  kind: 'host';
  name: 'host';
  release: string;
}

/** A kernel booted under qemu, with its unpacked image and modules. */
export interface VmKernel {
  kind: 'vm';
  /** "6.1", "6.12", or "custom". */
  name: string;
  /** The `uname -r` string inside the guest. */
  release: string;
  package?: string;
  /** Debian package version, e.g. 6.1.192-3. */
  packageVersion?: string;
  vmlinuz: string;
  /** lib/modules/<release> with modules.dep. */
  modulesDir: string;
}

export type Kernel = HostKernel | VmKernel;

/** A kernel built elsewhere: its bzImage and the lib/modules/<release> directory of the same build. */
export interface CustomKernel {
  vmlinuz: string;
  modulesDir: string;
}

/** What `kernel()` accepts: "host", a default series name ("6.1", "6.12") or a custom kernel. */
export type KernelRef = 'host' | string | CustomKernel;

/** A series resolved to one exact package. */
export interface ResolvedKernel extends KernelPackage {
  packageVersion: string;
}

/** Names of the default kernels, host first. */
export const DEFAULT_KERNELS = ['host', ...DEFAULT_SERIES.map((s) => s.name)];

/** The running kernel. */
export function hostKernel(): HostKernel {
  return { kind: 'host', name: 'host', release: hostRelease() };
}

/** Resolves any reference to a ready kernel, downloading a default one on first use. */
export function kernel(ref: KernelRef): Kernel {
  if (ref === 'host') return hostKernel();
  if (typeof ref === 'object') return customKernel(ref);
  return fetchKernel(resolveKernel(ref));
}

const resolved = new Map<string, ResolvedKernel>();

/**
 * The newest image package of a default series in the apt sources, with its exact version.
 * Without apt (or before `apt-get update`), the newest one already in the cache.
 */
export function resolveKernel(series: string): ResolvedKernel {
  const known = resolved.get(series);
  if (known) return known;
  const spec = DEFAULT_SERIES.find((s) => s.name === series);
  if (!spec) {
    throw new KernelFetchError(
      `Unknown kernel "${series}".`,
      `Known: ${DEFAULT_KERNELS.join(', ')}, or a custom { vmlinuz, modulesDir }.`,
    );
  }
  const search = spawnSync('apt-cache', ['search', '--names-only', spec.search], {
    encoding: 'utf8',
  });
  const pkg = search.status === 0 ? newestPackage(search.stdout, spec) : undefined;
  const version =
    pkg &&
    packageVersions(
      spawnSync('apt-cache', ['show', '--no-all-versions', pkg.package], { encoding: 'utf8' })
        .stdout ?? '',
    ).get(pkg.package);
  const found = pkg && version ? { ...pkg, packageVersion: version } : newestCached(series);
  if (!found) {
    throw new KernelFetchError(
      `No Linux ${series} image package (${spec.search}) in the apt sources, and none cached.`,
      'Run apt-get update; Debian bookworm and bookworm-security carry these packages.',
    );
  }
  resolved.set(series, found);
  return found;
}

/** The kernel's directory in the cache; holds boot/, lib/modules/ and kernel.json once fetched. */
export function kernelCacheDir(release: string): string {
  return join(cacheDir('kernels'), release);
}

/**
 * Downloads and unpacks the package into the cache unless it is there already (then this is
 * instant), runs depmod on it and checks that the image is the release the name says.
 */
export function fetchKernel(pkg: ResolvedKernel): VmKernel {
  const dir = kernelCacheDir(pkg.release);
  const cached = readKernelJson(dir);
  if (cached) return cached;
  requireTool(TOOLS.aptGet);
  const dpkgDeb = requireTool(TOOLS.dpkgDeb);
  const depmod = requireTool(TOOLS.depmod);
  removeStalePartials(pkg.release);
  // Unpacked beside the final directory and renamed when complete: an interrupted fetch never
  // looks finished, and two concurrent fetches cannot mix their files.
  const staging = join(cacheDir('kernels'), `.${pkg.release}.partial-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    // Sandbox user root: the cache may not be readable by apt's _apt user (apt only warns).
    run(
      'apt-get',
      ['download', '-q', '-o', 'APT::Sandbox::User=root', `${pkg.package}=${pkg.packageVersion}`],
      staging,
      `Downloading ${pkg.package} ${pkg.packageVersion} failed`,
      'Check the apt sources (apt-get update) and the network.',
    );
    const deb = readdirSync(staging).find((f) => f.endsWith('.deb'));
    if (!deb)
      throw new KernelFetchError(
        `apt-get download left no .deb for ${pkg.package}.`,
        'Run the apt-get download command by hand to see why.',
      );
    run(
      dpkgDeb,
      ['-x', deb, '.'],
      staging,
      `Unpacking ${deb} failed`,
      'The download may be truncated: run again.',
    );
    rmSync(join(staging, deb));
    run(
      depmod,
      ['-b', staging, pkg.release],
      staging,
      `depmod for ${pkg.release} failed`,
      'Reinstall kmod.',
    );
    const vm = validate(staging, {
      kind: 'vm',
      name: pkg.series,
      release: pkg.release,
      package: pkg.package,
      packageVersion: pkg.packageVersion,
    });
    writeFileSync(
      join(staging, 'kernel.json'),
      `${JSON.stringify({ ...vm, vmlinuz: undefined, modulesDir: undefined }, null, 1)}\n`,
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    return readKernelJson(dir)!;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Checks a custom kernel: a bzImage, and a modules directory of that same release with modules.dep. */
export function customKernel(custom: CustomKernel): VmKernel {
  const release = bzImageRelease(custom.vmlinuz);
  const modulesDir = custom.modulesDir.replace(/\/+$/, '');
  if (!existsSync(modulesDir) || !statSync(modulesDir).isDirectory())
    throw new ModulesDirError(modulesDir, 'does not exist');
  if (!existsSync(join(modulesDir, 'modules.builtin'))) {
    throw new ModulesDirError(
      modulesDir,
      'has no modules.builtin: it is not a lib/modules/<release> directory',
    );
  }
  if (basename(modulesDir) !== release)
    throw new ModulesMismatchError(modulesDir, basename(modulesDir), release);
  if (!existsSync(join(modulesDir, 'modules.dep'))) {
    const base = modulesDir.endsWith(`/lib/modules/${release}`)
      ? modulesDir.slice(0, -`/lib/modules/${release}`.length) || '/'
      : '<root>';
    throw new ModulesDirError(modulesDir, `has no modules.dep: run depmod -b ${base} ${release}`);
  }
  return { kind: 'vm', name: 'custom', release, vmlinuz: custom.vmlinuz, modulesDir };
}

/** One line of `--list`: can this kernel run now, and if not what to install. */
export interface KernelAvailability {
  name: string;
  release?: string;
  package?: string;
  packageVersion?: string;
  /** Everything needed is there (a default kernel not yet fetched is downloaded on first use). */
  available: boolean;
  /** The image is unpacked in the cache (always true for host). */
  fetched: boolean;
  missing: Array<{ what: string; install: string }>;
}

/** For each default kernel: whether it can run now and, if not, what is missing and how to install it. */
export function availability(names: string[] = DEFAULT_KERNELS): KernelAvailability[] {
  const vmTools = [TOOLS.qemu, TOOLS.busybox, TOOLS.modprobe].flatMap((tool) => {
    const found = findTool(tool);
    return 'missing' in found ? [{ what: found.missing, install: tool.install }] : [];
  });
  return names.map((name): KernelAvailability => {
    if (name === 'host')
      return { name, release: hostRelease(), available: true, fetched: true, missing: [] };
    let pkg: ResolvedKernel;
    try {
      pkg = resolveKernel(name);
    } catch (error) {
      const hint = (error as KernelFetchError).hint;
      return {
        name,
        available: false,
        fetched: false,
        missing: [...vmTools, { what: (error as Error).message, install: hint }],
      };
    }
    const fetched = readKernelJson(kernelCacheDir(pkg.release)) !== undefined;
    const fetchTools = fetched
      ? []
      : [TOOLS.aptGet, TOOLS.dpkgDeb, TOOLS.depmod].flatMap((tool) => {
          const found = findTool(tool);
          return 'missing' in found ? [{ what: found.missing, install: tool.install }] : [];
        });
    const missing = [...vmTools, ...fetchTools];
    return {
      name,
      release: pkg.release,
      package: pkg.package,
      packageVersion: pkg.packageVersion,
      available: missing.length === 0,
      fetched,
      missing,
    };
  });
}

function readKernelJson(dir: string): VmKernel | undefined {
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as VmKernel;
    return {
      ...meta,
      vmlinuz: join(dir, 'boot', `vmlinuz-${meta.release}`),
      modulesDir: join(dir, 'lib', 'modules', meta.release),
    };
  } catch {
    return undefined;
  }
}

function newestCached(series: string): ResolvedKernel | undefined {
  const root = cacheDir('kernels');
  const all = readdirSync(root)
    .flatMap((d) => readKernelJson(join(root, d)) ?? [])
    .filter((k) => k.name === series);
  const newest = all.sort((a, b) => compareVersions(b.release, a.release))[0];
  return newest?.package && newest.packageVersion
    ? {
        series,
        package: newest.package,
        release: newest.release,
        packageVersion: newest.packageVersion,
      }
    : undefined;
}

// The unpacked package must hold the image and modules of the release its name promises.
function validate(root: string, meta: Omit<VmKernel, 'vmlinuz' | 'modulesDir'>): VmKernel {
  const vmlinuz = join(root, 'boot', `vmlinuz-${meta.release}`);
  if (!existsSync(vmlinuz))
    throw new KernelFetchError(
      `${meta.package} has no boot/vmlinuz-${meta.release}.`,
      'Is this a linux-image package?',
    );
  const checked = customKernel({ vmlinuz, modulesDir: join(root, 'lib', 'modules', meta.release) });
  return { ...checked, ...meta };
}

// A fetch killed outright leaves its staging directory; its pid tells whether it is still going.
function removeStalePartials(release: string): void {
  const root = cacheDir('kernels');
  for (const entry of readdirSync(root)) {
    const pid = Number(entry.startsWith(`.${release}.partial-`) ? entry.split('-').at(-1) : NaN);
    if (Number.isInteger(pid) && !alive(pid))
      rmSync(join(root, entry), { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], cwd: string, what: string, hint: string): void {
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) {
    const why =
      (result.stderr || result.error?.message || '').trim().split('\n').filter(Boolean).at(-1) ??
      `exit ${result.status}`;
    throw new KernelFetchError(`${what}: ${why}`, hint);
  }
}
