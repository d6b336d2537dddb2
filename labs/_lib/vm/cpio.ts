/**
 * The "newc" cpio format the kernel unpacks as an initramfs (Documentation/driver-api/early-userspace/
 * buffer-format.rst): per entry a 110-byte ASCII header ("070701" and 13 eight-digit hex fields),
 * the NUL-terminated name padded to 4 bytes, the data padded to 4 bytes; a "TRAILER!!!" entry ends it.
 */

/** One archive member. Paths are relative ("bin/busybox"); parents must come before children. */
export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Uint8Array; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

/** The archive bytes. Owner root, mtime 0: the same entries always give the same bytes. */
export function writeNewc(entries: CpioEntry[]): Buffer {
  const chunks: Buffer[] = [];
  let offset = 0;
  const push = (chunk: Buffer) => {
    chunks.push(chunk);
    offset += chunk.length;
    const pad = (4 - (offset % 4)) % 4;
    if (pad) {
      chunks.push(Buffer.alloc(pad));
      offset += pad;
    }
  };
  const member = (ino: number, path: string, mode: number, data: Uint8Array, rdev = [0, 0]) => {
    const name = Buffer.from(`${path}\0`);
    const fields = [
      ino,
      mode,
      0,
      0,
      mode & S_IFDIR ? 2 : 1,
      0,
      data.length,
      0,
      0,
      rdev[0],
      rdev[1],
      name.length,
      0,
    ];
    chunks.push(
      Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`, 'ascii'),
    );
    offset += 110;
    push(name);
    if (data.length) push(Buffer.from(data));
  };
  entries.forEach((entry, i) => {
    const path = entry.path.replace(/^\/+/, '');
    switch (entry.type) {
      case 'dir':
        return member(i + 1, path, S_IFDIR | (entry.mode ?? 0o755), new Uint8Array());
      case 'file':
        return member(i + 1, path, S_IFREG | (entry.mode ?? 0o644), entry.data);
      case 'symlink':
        return member(i + 1, path, S_IFLNK | 0o777, Buffer.from(entry.target));
      case 'char':
        return member(i + 1, path, S_IFCHR | (entry.mode ?? 0o600), new Uint8Array(), [
          entry.major,
          entry.minor,
        ]);
    }
  });
  member(0, TRAILER, 0, new Uint8Array());
  return Buffer.concat(chunks);
}

/** Parses a newc archive back into entries (up to the trailer); throws on a malformed header. */
export function readNewc(archive: Uint8Array): CpioEntry[] {
  const bytes = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const entries: CpioEntry[] = [];
  let offset = 0;
  const align = (n: number) => (n + 3) & ~3;
  for (;;) {
    const header = bytes.toString('ascii', offset, offset + 110);
    if (!header.startsWith('070701')) throw new Error(`no newc header at offset ${offset}`);
    const field = (i: number) => parseInt(header.slice(6 + i * 8, 14 + i * 8), 16);
    const [mode, size, rdevMajor, rdevMinor, nameSize] = [
      field(1),
      field(6),
      field(9),
      field(10),
      field(11),
    ];
    const path = bytes.toString('utf8', offset + 110, offset + 110 + nameSize - 1);
    const dataStart = align(offset + 110 + nameSize);
    const data = bytes.subarray(dataStart, dataStart + size);
    offset = align(dataStart + size);
    if (path === TRAILER) return entries;
    const perm = mode & 0o7777;
    switch (mode & 0o170000) {
      case S_IFDIR:
        entries.push({ type: 'dir', path, mode: perm });
        break;
      case S_IFREG:
        entries.push({ type: 'file', path, data: new Uint8Array(data), mode: perm });
        break;
      case S_IFLNK:
        entries.push({ type: 'symlink', path, target: data.toString('utf8') });
        break;
      case S_IFCHR:
        entries.push({ type: 'char', path, major: rdevMajor, minor: rdevMinor, mode: perm });
        break;
      default:
        throw new Error(`unsupported file type ${(mode & 0o170000).toString(8)} for ${path}`);
    }
  }
}
