/**
 * A lab stopped mid-run, politely (SIGINT, SIGTERM) or not (SIGKILL), leaves nothing behind: no
 * process of its run, no namespace, no changed host setting, no temp file. With SIGKILL there is
 * nothing for a next run to clean up either: the run's PID namespace takes its processes with it
 * and its network namespaces die with their last user.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../labs/_lib/errors.ts';
import { ROOT } from '../support/cli.ts';
import { skipLive } from '../support/gate.ts';
import { hostState, taggedProcesses } from '../support/host-state.ts';

/** A lab that waits on SYN retransmissions for 2.5 s: long enough to be caught mid-run. */
const LAB = 'handshakes/accept-queue-overflow';

function processNamed(tag: string, prefix: string): number | undefined {
  return taggedProcesses(tag).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith(prefix);
    } catch {
      return false;
    }
  });
}

/** Starts `argv` with a tag every process of the run inherits; collects stdout and stderr. */
function start(argv: string[], tag: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', SOCKET_LABS_RUN_TAG: tag, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return { child, out, exited };
}

const lab = (tag: string, env?: NodeJS.ProcessEnv) =>
  start([process.execPath, resolve(ROOT, 'labs/cli.ts'), LAB], tag, env);

/** Mid-run: the client probe is up and its SYNs are being dropped. */
const midRun = (tag: string) =>
  expect
    .poll(() => processNamed(tag, 'tcp-client'), { timeout: 15_000, interval: 20 })
    .toBeDefined();

async function everythingGone(tag: string, before: ReturnType<typeof hostState>, since: number) {
  // Every process of the run is gone within a second or two.
  await expect.poll(() => taggedProcesses(tag), { timeout: 5_000, interval: 20 }).toEqual([]);
  expect(performance.now() - since).toBeLessThan(3_000);
  expect(hostState()).toEqual(before);
}

describe.skipIf(skipLive)('a lab run stopped mid-run', () => {
  it.each([
    ['SIGINT', EXIT.interrupted, /interrupted: cleaning up/],
    ['SIGTERM', EXIT.terminated, /terminated: cleaning up/],
  ] as const)(
    'by %s ends with exit %i and leaves nothing behind',
    async (signal, code, said) => {
      const before = hostState();
      const tag = randomUUID();
      const run = lab(tag);
      await midRun(tag);
      const stoppedAt = performance.now();
      run.child.kill(signal);
      expect(await run.exited).toBe(code);
      expect(run.out.stderr).toMatch(said);
      await everythingGone(tag, before, stoppedAt);
    },
    30_000,
  );

  it('by SIGKILL of the launcher leaves nothing behind', async () => {
    const before = hostState();
    const tag = randomUUID();
    const run = lab(tag);
    await midRun(tag);
    const stoppedAt = performance.now();
    run.child.kill('SIGKILL');
    expect(await run.exited).toBeNull();
    await everythingGone(tag, before, stoppedAt);
  }, 30_000);

  it('by SIGKILL of the run inside the sandbox exits 137 ("killed"), not 1 ("a claim failed")', async () => {
    const before = hostState();
    const tag = randomUUID();
    const run = lab(tag);
    await midRun(tag);
    const unshare = taggedProcesses(tag).find((pid) =>
      readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('unshare'),
    )!;
    const inner = readFileSync(`/proc/${unshare}/task/${unshare}/children`, 'utf8')
      .trim()
      .split(' ')[0]!;
    const stoppedAt = performance.now();
    process.kill(Number(inner), 'SIGKILL');
    expect(await run.exited).toBe(EXIT.killed);
    expect(run.out.stderr).toMatch(/the run ended without reporting its result/);
    await everythingGone(tag, before, stoppedAt);
  }, 30_000);

  it('through npm: SIGTERM to the npm process alone stops the lab too', async () => {
    const before = hostState();
    const tag = randomUUID();
    // npm exits on SIGTERM without passing it on; the lab notices its npm is gone.
    const run = start(['npm', 'run', '-s', 'lab', '--', LAB], tag);
    await midRun(tag);
    const stoppedAt = performance.now();
    (run.child as ChildProcess).kill('SIGTERM');
    await run.exited;
    await everythingGone(tag, before, stoppedAt);
  }, 30_000);
});

describe.skipIf(skipLive)('a lab run killed while its probes compile', () => {
  it('leaves no compiler temp file outside the cache (only build-* work directories, removed by a later compile)', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'labs-cache-'));
    const tmpBefore = new Set(readdirSync(tmpdir()));
    try {
      const tag = randomUUID();
      const run = lab(tag, { SOCKET_LABS_CACHE: cache });
      // Kill while the compiler runs (a fresh cache compiles every probe of the lab).
      await expect
        .poll(() => processNamed(tag, 'cc1'), { timeout: 15_000, interval: 5 })
        .toBeDefined();
      run.child.kill('SIGKILL');
      await run.exited;
      await expect.poll(() => taggedProcesses(tag), { timeout: 5_000, interval: 20 }).toEqual([]);
      const strays = readdirSync(tmpdir()).filter(
        (f) => !tmpBefore.has(f) && /^cc|\.s$|\.o$/.test(f),
      );
      expect(strays).toEqual([]);
      const probes = readdirSync(join(cache, 'probes'));
      expect(probes.every((f) => f.startsWith('build-') || /-[0-9a-f]{16}$/.test(f))).toBe(true);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 30_000);
});
