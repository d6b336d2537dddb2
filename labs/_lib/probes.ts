/**
 * C probes, compiled on demand with the system compiler into a git-ignored cache keyed by the
 * hash of the source, the shared header and the flags, so an edited probe is rebuilt and an
 * unchanged one is not.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, LabError } from './errors.ts';

/** The `labs/` folder; probe names are relative to it (`handshakes/client.c`). */
export const LABS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED_HEADERS = join(LABS_DIR, 'probes');

/** The .h files beside the probe and in labs/probes, in a stable order. */
function headersFor(source: string): string[] {
  const dirs = [...new Set([SHARED_HEADERS, dirname(source)])];
  return dirs.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.h')).sort().map((f) => join(dir, f)));
}
const CFLAGS = ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-pthread'];

/** The compiler to use: $CC, else cc, else gcc; undefined when none is installed. */
export function findCompiler(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.CC, 'cc', 'gcc', 'clang'].filter((c): c is string => Boolean(c));
  return candidates.find((cc) => spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0);
}

function cacheDir(): string {
  // An explicit cache (tests running labs as another user point it at a temp dir they remove).
  const explicit = process.env.SOCKET_LABS_CACHE;
  if (explicit) {
    mkdirSync(explicit, { recursive: true, mode: 0o700 });
    return explicit;
  }
  const inRepo = join(LABS_DIR, '..', 'node_modules', '.cache', 'socket-labs', 'probes');
  try {
    mkdirSync(inRepo, { recursive: true });
    accessSync(inRepo, constants.W_OK);
    return inRepo;
  } catch {
    // A read-only checkout or another user's tree: the user's own cache directory (XDG), and
    // only without a home a per-user temp directory. Either is a cache, kept on purpose.
    const home = process.env.HOME && process.env.HOME !== '/nonexistent' ? process.env.HOME : undefined;
    const base = process.env.XDG_CACHE_HOME ?? (home ? join(home, '.cache') : undefined);
    const fallback = base ? join(base, 'socket-labs', 'probes') : join(tmpdir(), `socket-labs-probes-${process.getuid?.() ?? 'u'}`);
    mkdirSync(fallback, { recursive: true, mode: 0o700 });
    return fallback;
  }
}

/** Compiles `labs/<name>` (a .c file) if needed and returns the binary's path. */
export function buildProbe(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const source = join(LABS_DIR, name);
  if (!existsSync(source)) throw new LabError(EXIT.setup, `Probe source ${name} does not exist.`);
  const cc = findCompiler(env);
  if (!cc) {
    throw new LabError(EXIT.missingTool, 'No C compiler found (tried $CC, cc, gcc, clang).',
      'Install one: apt-get install gcc (Debian/Ubuntu), dnf install gcc (Fedora).');
  }
  // Every header a probe can include (the shared ones and its chapter's own) is part of the key,
  // so editing any of them rebuilds the probe.
  const hash = createHash('sha256').update(readFileSync(source)).update(JSON.stringify([cc, CFLAGS]));
  for (const header of headersFor(source)) hash.update(header).update(readFileSync(header));
  const key = hash.digest('hex').slice(0, 16);
  const binary = join(cacheDir(), `${basename(name, '.c')}-${key}`);
  if (existsSync(binary)) return binary;
  // Not the pid: inside every sandbox it is 1, and two labs may build the same probe at once.
  const partial = `${binary}.${randomUUID()}.tmp`;
  const result = spawnSync(cc, [...CFLAGS, '-I', join(LABS_DIR, 'probes'), '-o', partial, source], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new LabError(EXIT.setup, `Compiling probe ${name} with ${cc} failed:\n${result.stderr.trim()}`);
  }
  // Rename is atomic: two labs building the same probe at once both end with a whole binary.
  renameSync(partial, binary);
  return binary;
}
