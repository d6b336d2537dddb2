/**
 * Where the labs keep what they can rebuild: compiled C probes and Node's compile cache. Kept on
 * purpose between runs (that is the point of a cache); deleting it only costs time.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * `kind` under SOCKET_LABS_CACHE if set (tests running labs as another user point it at a temp
 * dir they remove), else node_modules/.cache/socket-labs in the checkout, else, for a read-only
 * checkout or another user's tree, the user's own cache directory (XDG), and only without a home
 * a per-user temp directory.
 */
export function cacheDir(kind: 'probes' | 'node'): string {
  const explicit = process.env.SOCKET_LABS_CACHE;
  if (explicit) return made(join(explicit, kind));
  const inRepo = join(REPO, 'node_modules', '.cache', 'socket-labs', kind);
  try {
    mkdirSync(inRepo, { recursive: true });
    accessSync(inRepo, constants.W_OK);
    return inRepo;
  } catch {
    const home = process.env.HOME && process.env.HOME !== '/nonexistent' ? process.env.HOME : undefined;
    const base = process.env.XDG_CACHE_HOME ?? (home ? join(home, '.cache') : undefined);
    return made(base ? join(base, 'socket-labs', kind) : join(tmpdir(), `socket-labs-${kind}-${process.getuid?.() ?? 'u'}`));
  }
}

function made(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
