/**
 * Where the labs keep what they can rebuild: compiled C probes and Node's compile cache. Kept on
 * purpose between runs (that is the point of a cache); deleting it only costs time.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, LabError } from './errors.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * `kind` under SOCKET_LABS_CACHE if set (tests running labs as another user point it at a temp
 * dir they remove), else node_modules/.cache/socket-labs in the checkout, else, for a read-only
 * checkout or another user's tree, the user's own cache directory (XDG), and only without a home
 * a per-user temp directory.
 */
export function cacheDir(kind: 'probes' | 'node' | 'kernels' | 'vm' | 'runs'): string {
  const explicit = process.env.SOCKET_LABS_CACHE;
  if (explicit) {
    // Node's recursive mkdir never returns under /proc or /sys (it retries the parent for ever).
    if (!isAbsolute(explicit) || /^\/(proc|sys|dev)(\/|$)/.test(explicit)) {
      throw new LabError(
        EXIT.usage,
        `SOCKET_LABS_CACHE=${explicit.slice(0, 80)} is not a usable cache directory.`,
        'Point it at an absolute path of a directory you can write, or unset it.',
      );
    }
    try {
      return made(join(explicit, kind));
    } catch (error) {
      throw new LabError(
        EXIT.usage,
        `SOCKET_LABS_CACHE=${explicit.slice(0, 80)}: cannot create ${kind}/ there (${(error as NodeJS.ErrnoException).code}).`,
        'Point it at a directory you can write, or unset it.',
      );
    }
  }
  const inRepo = join(REPO, 'node_modules', '.cache', 'socket-labs', kind);
  try {
    mkdirSync(inRepo, { recursive: true });
    accessSync(inRepo, constants.W_OK);
    return inRepo;
  } catch {
    const home =
      process.env.HOME && process.env.HOME !== '/nonexistent' ? process.env.HOME : undefined;
    const base = process.env.XDG_CACHE_HOME ?? (home ? join(home, '.cache') : undefined);
    return made(
      base
        ? join(base, 'socket-labs', kind)
        : join(tmpdir(), `socket-labs-${kind}-${process.getuid?.() ?? 'u'}`),
    );
  }
}

function made(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  accessSync(dir, constants.W_OK);
  return dir;
}
