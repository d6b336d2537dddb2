/**
 * C probes, compiled on demand with the system compiler into a git-ignored cache keyed by the
 * hash of the source, the shared header and the flags, so an edited probe is rebuilt and an
 * unchanged one is not.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './cache.ts';
import { EXIT, LabError } from './errors.ts';

/** The `labs/` folder; probe names are relative to it (`probes/tcp-client.c`). */
export const LABS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED_HEADERS = join(LABS_DIR, 'probes');

/** The .h files beside the probe and in labs/probes, in a stable order. */
function headersFor(source: string): string[] {
  const dirs = [...new Set([SHARED_HEADERS, dirname(source)])];
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.h'))
      .sort()
      .map((f) => join(dir, f)),
  );
}
const CFLAGS = ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-pthread'];

/** The compiler to use: $CC, else cc, else gcc; undefined when none is installed. */
export function findCompiler(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env === process.env && ownCompiler.found) return ownCompiler.cc;
  const candidates = [env.CC, 'cc', 'gcc', 'clang'].filter((c): c is string => Boolean(c));
  const cc = candidates.find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
  if (env === process.env) Object.assign(ownCompiler, { found: true, cc });
  return cc;
}
// This process's answers, so that starting a probe costs no `cc --version` and no hashing
// (sources do not change during a run; a new run hashes them again).
const ownCompiler: { found: boolean; cc?: string } = { found: false };
const built = new Map<string, string>();

/** Compiles `labs/<name>` (a .c file) if needed and returns the binary's path. */
export function buildProbe(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const known = env === process.env ? built.get(name) : undefined;
  if (known) return known;
  const binary = compileIfNeeded(name, env);
  if (env === process.env) built.set(name, binary);
  return binary;
}

function compileIfNeeded(name: string, env: NodeJS.ProcessEnv): string {
  const source = join(LABS_DIR, name);
  if (!existsSync(source)) throw new LabError(EXIT.setup, `Probe source ${name} does not exist.`);
  const cc = findCompiler(env);
  if (!cc) {
    throw new LabError(
      EXIT.missingTool,
      'No C compiler found (tried $CC, cc, gcc, clang).',
      'Install one: apt-get install gcc (Debian/Ubuntu), dnf install gcc (Fedora).',
    );
  }
  // Every header a probe can include (the shared ones and its chapter's own) is part of the key,
  // so editing any of them rebuilds the probe.
  const hash = createHash('sha256')
    .update(readFileSync(source))
    .update(JSON.stringify([cc, CFLAGS]));
  for (const header of headersFor(source)) hash.update(header).update(readFileSync(header));
  const key = hash.digest('hex').slice(0, 16);
  const binary = join(cacheDir('probes'), `${basename(name, '.c')}-${key}`);
  if (existsSync(binary)) return binary;
  // The compiler's temporary files and the partial binary live in a directory of their own in
  // the cache (TMPDIR), never in /tmp: a run killed mid-compile leaves nothing outside the cache,
  // and the next compile removes what it left there. Not the pid in the name: inside every
  // sandbox it is 1, and two labs may build the same probe at once.
  const cache = dirname(binary);
  removeStaleWork(cache);
  const work = mkdtempSync(join(cache, 'build-'));
  try {
    const partial = join(work, basename(binary));
    const result = spawnSync(
      cc,
      [...CFLAGS, '-pipe', '-I', join(LABS_DIR, 'probes'), '-o', partial, source],
      { encoding: 'utf8', env: { ...env, TMPDIR: work } },
    );
    if (result.status !== 0) {
      throw new LabError(
        EXIT.setup,
        `Compiling probe ${name} with ${cc} failed:\n${(result.stderr ?? '').trim() || `exit ${result.status}`}`,
      );
    }
    if (!existsSync(partial)) {
      throw new LabError(
        EXIT.missingTool,
        `The C compiler ${cc} exited 0 but produced no binary for ${name}.`,
        'Set CC to a working C compiler (gcc or clang), or unset it.',
      );
    }
    // Rename is atomic: two labs building the same probe at once both end with a whole binary.
    renameSync(partial, binary);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

/** Build directories older than a minute belong to compiles that were killed: remove them. */
function removeStaleWork(cache: string): void {
  const minuteAgo = Date.now() - 60_000;
  for (const entry of readdirSync(cache)) {
    if (!entry.startsWith('build-')) continue;
    const path = join(cache, entry);
    try {
      if (statSync(path).mtimeMs < minuteAgo) rmSync(path, { recursive: true, force: true });
    } catch {
      // Another run removed it first.
    }
  }
}
