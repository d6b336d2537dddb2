/** The VM layer's initramfs: which modules in which order, which files, and the cpio bytes. */
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readNewc, writeNewc, type CpioEntry } from '../../labs/_lib/vm/cpio.ts';
import { refuseHiddenPaths } from '../../labs/_lib/vm/index.ts';
import { initramfsPlan, initScript, stage2Script } from '../../labs/_lib/vm/initramfs.ts';
import {
  ModuleNotFoundError,
  moduleLoadOrder,
  moduleName,
  ROOT_MODULES,
} from '../../labs/_lib/vm/modules.ts';

// modules.dep lines of Debian's 6.1.0-57-amd64 for the root modules (depmod lists the deepest
// dependency last), plus an unrelated module.
const DEP_61 = `kernel/fs/netfs/netfs.ko:
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/fs/overlayfs/overlay.ko:
kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/drivers/net/veth.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/9p/9pnet.ko:
kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
`;
const BUILTIN_61 = 'kernel/drivers/char/mem.ko\n';

// Debian's 6.12.118+deb12-amd64 builds the virtio PCI transport in, and compresses its modules.
const DEP_612 = `kernel/fs/netfs/netfs.ko.xz:
kernel/fs/overlayfs/overlay.ko.xz:
kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz
kernel/net/9p/9pnet.ko.xz: kernel/fs/netfs/netfs.ko.xz
kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz
`;
const BUILTIN_612 = `kernel/drivers/virtio/virtio.ko
kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_pci_modern_dev.ko
kernel/drivers/virtio/virtio_pci_legacy_dev.ko
kernel/drivers/virtio/virtio_pci.ko
`;

describe('moduleLoadOrder', () => {
  it('loads every dependency before the module that needs it, each once (6.1: 11 modules)', () => {
    expect(moduleLoadOrder(ROOT_MODULES, DEP_61, BUILTIN_61).map((m) => m.name)).toEqual([
      'virtio_ring',
      'virtio',
      'virtio_pci_modern_dev',
      'virtio_pci_legacy_dev',
      'virtio_pci',
      '9pnet',
      '9pnet_virtio',
      'netfs',
      'fscache',
      '9p',
      'overlay',
    ]);
  });

  it('skips what the kernel builds in and keeps the compressed file names (6.12: 5 modules)', () => {
    expect(moduleLoadOrder(ROOT_MODULES, DEP_612, BUILTIN_612)).toEqual([
      { name: 'netfs', path: 'kernel/fs/netfs/netfs.ko.xz' },
      { name: '9pnet', path: 'kernel/net/9p/9pnet.ko.xz' },
      { name: '9pnet_virtio', path: 'kernel/net/9p/9pnet_virtio.ko.xz' },
      { name: '9p', path: 'kernel/fs/9p/9p.ko.xz' },
      { name: 'overlay', path: 'kernel/fs/overlayfs/overlay.ko.xz' },
    ]);
  });

  it('names the kernel when a module is neither a file nor built in', () => {
    expect(() =>
      moduleLoadOrder(['virtio_fs'], DEP_612, BUILTIN_612, '6.12.118+deb12-amd64'),
    ).toThrow(ModuleNotFoundError);
    expect(() =>
      moduleLoadOrder(['virtio_fs'], DEP_612, BUILTIN_612, '6.12.118+deb12-amd64'),
    ).toThrow(/6\.12\.118\+deb12-amd64 has no module "virtio_fs"/);
  });

  it.each([
    ['kernel/net/9p/9pnet_virtio.ko.xz', '9pnet_virtio'],
    ['kernel/net/sched/sch-netem.ko.zst', 'sch_netem'],
    ['kernel/fs/overlayfs/overlay.ko', 'overlay'],
  ])('names %s %s', (path, name) => {
    expect(moduleName(path)).toBe(name);
  });
});

describe('initramfsPlan', () => {
  const modulesDir = '/cache/kernels/6.12.118+deb12-amd64/lib/modules/6.12.118+deb12-amd64';
  const plan = initramfsPlan({
    name: '6.12',
    release: '6.12.118+deb12-amd64',
    modulesDir,
    modules: moduleLoadOrder(ROOT_MODULES, DEP_612, BUILTIN_612),
    busybox: '/bin/busybox',
  });

  it('holds busybox, the console device, the modules in load order and both stages', () => {
    expect(plan.map((e) => `${e.type} ${e.path}`)).toEqual([
      'dir bin',
      'dir dev',
      'dir proc',
      'dir sys',
      'dir mnt',
      'dir mnt/lower',
      'dir mnt/rw',
      'dir mnt/root',
      'dir modules',
      'char dev/console',
      'file bin/busybox',
      'symlink bin/sh',
      'file modules/netfs.ko',
      'file modules/9pnet.ko',
      'file modules/9pnet_virtio.ko',
      'file modules/9p.ko',
      'file modules/overlay.ko',
      'file init',
      'file stage2.sh',
    ]);
  });

  it('takes each module from the kernel, compressed as shipped', () => {
    expect(plan.find((e) => e.path === 'modules/9p.ko')).toMatchObject({
      from: `${modulesDir}/kernel/fs/9p/9p.ko.xz`,
    });
    expect(plan.find((e) => e.path === 'dev/console')).toMatchObject({ major: 5, minor: 1 });
  });

  it('has /init insmod the modules in order, then switch_root (not chroot)', () => {
    const init = initScript(['9pnet', '9pnet_virtio', '9p', 'overlay']);
    const insmods = [...init.matchAll(/^insmod \/modules\/(\S+)\.ko/gm)].map((m) => m[1]);
    expect(insmods).toEqual(['9pnet', '9pnet_virtio', '9p', 'overlay']);
    expect(init).toMatch(/readonly|,ro,/);
    expect(init).toMatch(/exec switch_root \/mnt\/root /);
  });

  it('has stage 2 bind the kernel modules where modprobe looks for them', () => {
    const stage2 = stage2Script({ name: '6.12', release: '6.12.118+deb12-amd64', modulesDir });
    expect(stage2).toContain(`mount --bind '${modulesDir}' /lib/modules/6.12.118+deb12-amd64`);
    expect(stage2).toMatch(
      /^export PATH=\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin /m,
    );
    expect(stage2).toContain('echo o > /proc/sysrq-trigger');
    // A CI clone lives under the host's /tmp: the guest must not hide it behind a fresh tmpfs.
    expect(stage2).not.toMatch(/^mount .* \/tmp\b/m);
  });

  it('refuses a checkout or cache the guest would hide behind its own mounts', () => {
    expect(() => refuseHiddenPaths(['/tmp/ci-1234', '/root/.cache/x'])).not.toThrow();
    expect(() => refuseHiddenPaths(['/run/user/0/book'])).toThrow(/under \/run, which the guest/);
    expect(() => refuseHiddenPaths(['/tmp/ok', '/dev/shm/cache'])).toThrow(/under \/dev/);
    expect(() => refuseHiddenPaths(['/running/book'])).not.toThrow();
  });
});

describe('newc cpio', () => {
  const entries: CpioEntry[] = [
    { type: 'dir', path: 'bin', mode: 0o755 },
    { type: 'dir', path: 'dev', mode: 0o755 },
    { type: 'char', path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
    {
      type: 'file',
      path: 'bin/busybox',
      data: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2]),
      mode: 0o755,
    },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    {
      type: 'file',
      path: 'init',
      data: new TextEncoder().encode('#!/bin/sh\necho hi\n'),
      mode: 0o755,
    },
    { type: 'file', path: 'empty', data: new Uint8Array(), mode: 0o644 },
  ];

  it('parses back exactly what it wrote', () => {
    expect(readNewc(writeNewc(entries))).toEqual(entries);
  });

  it('survives gzip, as the kernel reads it', () => {
    expect(readNewc(gunzipSync(gzipSync(writeNewc(entries))))).toEqual(entries);
  });

  it('starts with a newc header, pads to 4 bytes and ends with the trailer', () => {
    const bytes = writeNewc(entries);
    expect(bytes.toString('ascii', 0, 6)).toBe('070701');
    expect(bytes.length % 4).toBe(0);
    expect(bytes.toString('latin1')).toContain('TRAILER!!!\0');
    // The first header: inode 1, mode 040755, namesize 4 ("bin\0").
    expect(bytes.toString('ascii', 6, 22)).toBe('00000001000041ed');
    expect(bytes.toString('ascii', 94, 102)).toBe('00000004');
  });

  it('writes the same bytes for the same entries (mtime 0, root owner)', () => {
    expect(writeNewc(entries).equals(writeNewc(entries))).toBe(true);
  });
});
