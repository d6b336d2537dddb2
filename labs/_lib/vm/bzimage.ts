/**
 * Reads the kernel release out of an x86 bzImage without booting it, from the real-mode setup
 * header (Documentation/arch/x86/boot.rst): the magic "HdrS" at 0x202 and, at 0x20E, a pointer
 * to the version string, relative to the start of the header (0x200).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { NotAKernelError } from './errors.ts';

const MAGIC_OFFSET = 0x202;
const VERSION_POINTER = 0x20e;
const HEADER_BASE = 0x200;
/** Enough for the setup sectors of any kernel, where the version string lives. */
const SETUP_BYTES = 64 * 1024;

/**
 * The full version string of a bzImage ("6.1.0-57-amd64 (debian-kernel@…) #1 SMP …"), or the
 * reason it is not one. Pure, for the tests.
 */
export function bzImageVersion(bytes: Uint8Array): { version: string } | { error: string } {
  if (bytes.length < VERSION_POINTER + 2) return { error: 'too short for a setup header' };
  const magic = String.fromCharCode(...bytes.subarray(MAGIC_OFFSET, MAGIC_OFFSET + 4));
  if (magic !== 'HdrS') return { error: 'no "HdrS" magic at offset 0x202' };
  const pointer = bytes[VERSION_POINTER] | (bytes[VERSION_POINTER + 1] << 8);
  const start = pointer + HEADER_BASE;
  if (pointer === 0 || start >= bytes.length)
    return { error: 'the setup header has no kernel version string' };
  const end = bytes.indexOf(0, start);
  const version = Buffer.from(bytes.subarray(start, end < 0 ? bytes.length : end)).toString(
    'latin1',
  );
  if (!/^\S+/.test(version)) return { error: 'the kernel version string is empty' };
  return { version };
}

/** The `uname -r` release of the bzImage at `path` (the first word of its version string). */
export function bzImageRelease(path: string): string {
  let bytes: Buffer;
  try {
    const fd = openSync(path, 'r');
    try {
      bytes = Buffer.alloc(SETUP_BYTES);
      bytes = bytes.subarray(0, readSync(fd, bytes, 0, SETUP_BYTES, 0));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new NotAKernelError(
      path,
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : (error as Error).message,
    );
  }
  const parsed = bzImageVersion(bytes);
  if ('error' in parsed) throw new NotAKernelError(path, parsed.error);
  return parsed.version.split(/\s/)[0];
}
