/**
 * The host programs the VM layer uses, where they are, and the apt command that installs each.
 * The guest sees the host's root file system, so the guest's tools are these same ones.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { MissingHostToolError } from './errors.ts';

/** A host program: where to look and how to install it. */
export interface HostTool {
  name: string;
  paths: string[];
  install: string;
  /** Extra check on the file found (busybox must be static: it runs alone in the initramfs). */
  check?: (path: string) => string | undefined;
}

const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

export const TOOLS = {
  qemu: {
    name: 'qemu-system-x86_64',
    paths: ['/usr/bin/qemu-system-x86_64', '/usr/local/bin/qemu-system-x86_64'],
    install: 'apt-get install -y qemu-system-x86',
  },
  busybox: {
    name: 'busybox (static)',
    paths: ['/bin/busybox', '/usr/bin/busybox'],
    install: 'apt-get install -y busybox-static',
    check: (path: string) => (isStaticElf(path) ? undefined : `${path} is dynamically linked`),
  },
  // depmod writes modules.dep for the unpacked kernel; the guest's kernel runs the host's
  // /sbin/modprobe (through the shared root) to autoload veth, sch_netem, nf_tables ...
  depmod: {
    name: 'depmod (kmod)',
    paths: SBIN.map((d) => `${d}/depmod`),
    install: 'apt-get install -y kmod',
  },
  modprobe: {
    name: 'modprobe (kmod)',
    paths: ['/sbin/modprobe', '/usr/sbin/modprobe'],
    install: 'apt-get install -y kmod',
  },
  aptGet: {
    name: 'apt-get',
    paths: ['/usr/bin/apt-get'],
    install: 'a Debian or Ubuntu host (else pass a custom kernel: vmlinuz + modules dir)',
  },
  dpkgDeb: { name: 'dpkg-deb', paths: ['/usr/bin/dpkg-deb'], install: 'apt-get install -y dpkg' },
} satisfies Record<string, HostTool>;

/** The path of `tool`, or the reason it is unusable. */
export function findTool(tool: HostTool): { path: string } | { missing: string } {
  const path = tool.paths.find((p) => existsSync(p));
  if (!path) return { missing: `${tool.name} not found` };
  const problem = tool.check?.(path);
  return problem ? { missing: problem } : { path };
}

/** The path of `tool`; throws MissingHostToolError naming the install command. */
export function requireTool(tool: HostTool): string {
  const found = findTool(tool);
  if ('missing' in found) throw new MissingHostToolError(tool.name, tool.install);
  return found.path;
}

/** True for an ELF file without a PT_INTERP program header (no dynamic loader needed). */
export function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return false; // ELF64 only
    const phoff = Number(head.readBigUInt64LE(0x20));
    const phentsize = head.readUInt16LE(0x36);
    const phnum = head.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3) return false; // PT_INTERP
    return true;
  } finally {
    closeSync(fd);
  }
}
