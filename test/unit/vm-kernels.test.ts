/** The VM layer's kernels: which Debian package stands for a series, and what makes a custom kernel usable. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bzImageRelease, bzImageVersion } from '../../labs/_lib/vm/bzimage.ts';
import {
  ModulesDirError,
  ModulesMismatchError,
  NotAKernelError,
  VM_EXIT,
} from '../../labs/_lib/vm/errors.ts';
import { customKernel } from '../../labs/_lib/vm/kernels.ts';
import {
  compareVersions,
  DEFAULT_SERIES,
  newestPackage,
  packageVersions,
} from '../../labs/_lib/vm/packages.ts';

/** The smallest file with a real-mode setup header: "HdrS" at 0x202, the version pointer at 0x20E. */
function bzImage(version: string, { magic = 'HdrS', pointer = 0x100 } = {}): Buffer {
  const bytes = Buffer.alloc(0x400);
  bytes.write(magic, 0x202, 'latin1');
  bytes.writeUInt16LE(pointer, 0x20e);
  if (pointer && 0x200 + pointer < bytes.length)
    bytes.write(`${version}\0`, 0x200 + pointer, 'latin1');
  return bytes;
}

const VERSION_61 =
  '6.1.0-57-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3';

describe('bzImageVersion', () => {
  it('reads the version string through the setup header pointer', () => {
    expect(bzImageVersion(bzImage(VERSION_61))).toEqual({ version: VERSION_61 });
  });

  it.each([
    ['no HdrS magic', bzImage(VERSION_61, { magic: 'MZ\0\0' }), /HdrS/],
    ['a zero version pointer', bzImage(VERSION_61, { pointer: 0 }), /no kernel version/],
    ['a pointer past the end', bzImage(VERSION_61, { pointer: 0x7000 }), /no kernel version/],
    ['a file shorter than the header', Buffer.from('#!/bin/sh\n'), /too short/],
  ])('refuses %s', (_, bytes, error) => {
    const parsed = bzImageVersion(bytes);
    expect('error' in parsed && parsed.error).toMatch(error);
  });
});

describe('customKernel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-kernels-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const vmlinuz = join(dir, 'vmlinuz-6.1.0-57-amd64');
  writeFileSync(vmlinuz, bzImage(VERSION_61));
  const modules = (release: string, files = ['modules.builtin', 'modules.dep']) => {
    const path = join(dir, 'lib', 'modules', release);
    mkdirSync(path, { recursive: true });
    for (const file of files) writeFileSync(join(path, file), '');
    return path;
  };

  it('takes the release from the bzImage, the first word of its version string', () => {
    expect(bzImageRelease(vmlinuz)).toBe('6.1.0-57-amd64');
    const modulesDir = modules('6.1.0-57-amd64');
    expect(customKernel({ vmlinuz, modulesDir })).toEqual({
      kind: 'vm',
      name: 'custom',
      release: '6.1.0-57-amd64',
      vmlinuz,
      modulesDir,
    });
  });

  it('refuses a modules directory of another release, naming both', () => {
    const modulesDir = modules('6.12.118+deb12-amd64');
    const error = catchError(() => customKernel({ vmlinuz, modulesDir }));
    expect(error).toBeInstanceOf(ModulesMismatchError);
    expect(error.exitCode).toBe(VM_EXIT.badKernel);
    expect(error.message).toMatch(
      /is for 6\.12\.118\+deb12-amd64, but the kernel is 6\.1\.0-57-amd64/,
    );
  });

  it('refuses a file that is not a kernel', () => {
    const script = join(dir, 'not-a-kernel');
    writeFileSync(script, '#!/bin/sh\necho hello\n'.repeat(100));
    const error = catchError(() => customKernel({ vmlinuz: script, modulesDir: modules('x') }));
    expect(error).toBeInstanceOf(NotAKernelError);
    expect(error.message).toMatch(/not-a-kernel is not a Linux bzImage: no "HdrS" magic/);
  });

  it.each([
    ['a missing directory', join(dir, 'nowhere'), /does not exist/],
    ['a directory without modules.builtin', join(dir, 'lib'), /has no modules.builtin/],
  ])('refuses %s', (_, modulesDir, message) => {
    const error = catchError(() => customKernel({ vmlinuz, modulesDir }));
    expect(error).toBeInstanceOf(ModulesDirError);
    expect(error.message).toMatch(message);
  });

  it('names the depmod command when modules.dep is missing', () => {
    rmSync(join(dir, 'lib', 'modules', '6.1.0-57-amd64'), { recursive: true });
    const modulesDir = modules('6.1.0-57-amd64', ['modules.builtin']);
    expect(catchError(() => customKernel({ vmlinuz, modulesDir })).message).toMatch(
      `run depmod -b ${dir} 6.1.0-57-amd64`,
    );
  });
});

// `apt-cache search linux-image-6.1` style output, out of order as apt prints it.
const SEARCH = `linux-image-6.1.0-9-amd64 - Linux 6.1 for 64-bit PCs (signed)
linux-image-6.1.0-57-amd64-unsigned - Linux 6.1 for 64-bit PCs
linux-image-6.1.0-57-amd64-dbg - Debug symbols for linux-image-6.1.0-57-amd64
linux-image-6.1.0-57-amd64 - Linux 6.1 for 64-bit PCs (signed)
linux-image-6.1.0-56-cloud-amd64 - Linux 6.1 for x86-64 cloud (signed)
linux-image-6.1.0-56-amd64 - Linux 6.1 for 64-bit PCs (signed)
linux-image-6.12-amd64 - Linux for 64-bit PCs (meta-package)
linux-image-6.12-amd64-signed-template - Template for signed linux-image packages for amd64
linux-image-6.12.99+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)
linux-image-6.12.118+deb12-amd64-unsigned - Linux 6.12 for 64-bit PCs
linux-image-6.12.118+deb12-rt-amd64 - Linux 6.12 for 64-bit PCs, PREEMPT_RT (signed)
linux-image-6.12.118+deb12-amd64-dbg - Debug symbols for linux-image-6.12.118+deb12-amd64
linux-image-6.12.113+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)
`;

describe('newestPackage', () => {
  const series = (name: string) => DEFAULT_SERIES.find((s) => s.name === name)!;

  it.each([
    ['6.1', 'linux-image-6.1.0-57-amd64', '6.1.0-57-amd64'],
    // 6.12.118 exists only unsigned here: it still beats the signed 6.12.113.
    ['6.12', 'linux-image-6.12.118+deb12-amd64-unsigned', '6.12.118+deb12-amd64'],
  ])(
    'picks the newest %s image, never -dbg, -rt, -cloud or a meta-package',
    (name, pkg, release) => {
      expect(newestPackage(SEARCH, series(name))).toEqual({ series: name, package: pkg, release });
    },
  );

  it('prefers the signed package over its -unsigned twin', () => {
    const twins = 'linux-image-6.1.0-57-amd64-unsigned - x\nlinux-image-6.1.0-57-amd64 - y\n';
    expect(newestPackage(twins, series('6.1'))?.package).toBe('linux-image-6.1.0-57-amd64');
  });

  it('finds nothing in an empty search', () => {
    expect(newestPackage('', series('6.12'))).toBeUndefined();
  });
});

describe('compareVersions', () => {
  it.each([
    ['6.1.0-9-amd64', '6.1.0-57-amd64', -1],
    ['6.12.118+deb12-amd64', '6.12.99+deb12-amd64', 1],
    ['6.1.192-3', '6.1.192-3', 0],
    ['6.1', '6.1.0', -1],
  ])('orders %s against %s as %i', (a, b, order) => {
    expect(compareVersions(a, b)).toBe(order);
  });
});

describe('packageVersions', () => {
  it('reads each stanza of apt-cache show', () => {
    const show = `Package: linux-image-6.1.0-57-amd64
Source: linux-signed-amd64 (6.1.192+3)
Version: 6.1.192-3

Package: linux-image-6.12.118+deb12-amd64
Version: 6.12.118-1~deb12u1
`;
    expect(Object.fromEntries(packageVersions(show))).toEqual({
      'linux-image-6.1.0-57-amd64': '6.1.192-3',
      'linux-image-6.12.118+deb12-amd64': '6.12.118-1~deb12u1',
    });
  });
});

function catchError(fn: () => unknown): Error & { exitCode: number } {
  try {
    fn();
  } catch (error) {
    return error as Error & { exitCode: number };
  }
  throw new Error('expected an error');
}
