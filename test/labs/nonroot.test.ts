/**
 * The labs as an ordinary user: an unprivileged uid (65534, "nobody") runs the whole suite through
 * user namespaces, and every claim that holds as root (the committed recordings, all of which
 * hold) must hold as nobody too. The uid cannot read this checkout if it sits in a private
 * directory (a CI clone in `mktemp -d` is 0700), so the labs, the chapter pages that order them,
 * the Node binary and the packages the labs load at run time are copied into a world-readable
 * temporary workspace, removed afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labs as allLabs } from '../../labs/index.ts';
import { EXIT } from '../../labs/_lib/errors.ts';
import type { Result, RunResult } from '../../labs/_lib/result.ts';
import { DEFAULT_CONCURRENCY, runEach, slowestFirst } from '../../labs/_lib/subprocess.ts';
import { ROOT } from '../support/cli.ts';
import { skipLive } from '../support/gate.ts';
import { schemaErrors } from '../support/result-schema.ts';

const NOBODY = '65534';
const isRoot = process.getuid?.() === 0;
/** `LABS=teardown npx vitest run test/labs` runs only the labs whose id starts with a prefix. */
const only = process.env.LABS?.split(',').filter(Boolean);
const labs = only ? allLabs.filter((l) => only.some((p) => l.id.startsWith(p))) : allLabs;

/** The packages the labs import at run time, with everything they depend on (package-lock). */
function runtimePackages(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages;
  const seen = new Set<string>();
  const walk = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    Object.keys(lock[`node_modules/${name}`]?.dependencies ?? {}).forEach(walk);
  };
  ['zx', 'zeromq'].forEach(walk);
  return [...seen];
}

describe.skipIf(skipLive || !isRoot)('labs as an unprivileged user', () => {
  let workspace: string;
  const command = (args: string[], env: Record<string, string>) => [
    '--reuid',
    NOBODY,
    '--regid',
    NOBODY,
    '--clear-groups',
    '--',
    'env',
    '-i',
    `PATH=${process.env.PATH}`,
    'HOME=/nonexistent',
    `SOCKET_LABS_CACHE=${join(workspace, 'cache')}`,
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    join(workspace, 'node'),
    join(workspace, 'labs', 'cli.ts'),
    ...args,
  ];
  // The checkout may sit in a directory the uid cannot enter: run from the workspace.
  const asNobodySync = (args: string[], env: Record<string, string> = {}) =>
    spawnSync('setpriv', command(args, env), { encoding: 'utf8', timeout: 60_000, cwd: workspace });
  const asNobody = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn('setpriv', command(args, {}), { cwd: workspace });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (code) => done({ code, stdout, stderr }));
    });

  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'labs-nonroot-'));
    cpSync(join(ROOT, 'labs'), join(workspace, 'labs'), {
      recursive: true,
      filter: (src) => !src.includes('/recorded'),
    });
    cpSync(join(ROOT, 'content'), join(workspace, 'content'), { recursive: true });
    for (const name of runtimePackages()) {
      cpSync(join(ROOT, 'node_modules', name), join(workspace, 'node_modules', name), {
        recursive: true,
      });
    }
    cpSync(process.execPath, join(workspace, 'node'));
    cpSync(join(ROOT, 'package.json'), join(workspace, 'package.json'));
    mkdirSync(join(workspace, 'cache'));
    spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, join(workspace, 'cache')]);
    chmodSync(workspace, 0o755);
  });
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  it('runs every lab in a user namespace with every claim holding, as it does as root', async () => {
    const ids = slowestFirst(labs.map((l) => l.id));
    const results = await runEach(ids, DEFAULT_CONCURRENCY, async (id) => {
      const { code, stdout, stderr } = await asNobody([id, '--json']);
      return { id, code, stderr, doc: stdout ? (JSON.parse(stdout) as Result) : undefined };
    });
    const problems: string[] = [];
    for (const { id, code, stderr, doc } of results) {
      if (code !== EXIT.ok || !doc?.runs) {
        problems.push(
          `${id}: exit ${code}: ${stderr
            .split('\n')
            .filter((l) => l.startsWith('lab:'))
            .join(' ')}`,
        );
        continue;
      }
      const errors = schemaErrors(doc);
      if (errors.length) problems.push(`${id}: not a valid result document: ${errors[0]}`);
      const run: RunResult = doc.runs[0]!;
      if (run.privilege !== 'userns') problems.push(`${id}: ran as ${run.privilege}`);
      for (const c of run.claims.filter((c) => !c.holds)) {
        problems.push(
          `${id} · ${c.id}: expected ${c.expected}, observed ${JSON.stringify(c.observed)}`,
        );
      }
    }
    expect(problems).toEqual([]);
  }, 600_000);

  it('names the setting and the alternatives when user namespaces are refused', () => {
    const result = asNobodySync([labs[0]!.id], { SOCKET_LABS_SIMULATE_REFUSAL: '1' });
    expect(result.status).toBe(EXIT.noSandbox);
    expect(result.stderr).toMatch(/^lab: Cannot create the lab's namespaces/m);
    expect(result.stderr).toMatch(
      /apparmor_restrict_unprivileged_userns.*unprivileged_userns_clone.*max_user_namespaces.*or run as root/s,
    );
  });
});
