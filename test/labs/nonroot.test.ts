/**
 * The labs as an ordinary user: an unprivileged uid (65534, "nobody") runs them through a user
 * namespace. The uid cannot read this checkout if it sits in a private directory, so the lab
 * code, zx and the Node binary are copied into a world-readable temporary workspace, removed
 * afterwards.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLab } from '../../labs/index.ts';
import type { LabRun } from '../../labs/_lib/types.ts';
import { EXIT } from '../../labs/_lib/errors.ts';
import { assertClaim } from '../support/claims.ts';
import { ROOT } from '../support/cli.ts';
import { skipLive } from '../support/gate.ts';

const NOBODY = '65534';
const isRoot = process.getuid?.() === 0;
const LABS = ['handshakes/three-way-handshake', 'handshakes/connection-refused'];

describe.skipIf(skipLive || !isRoot)('labs as an unprivileged user', () => {
  let workspace: string;
  const asNobody = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(
      'setpriv',
      [
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
      ],
      // The checkout may sit in a directory the uid cannot enter (mktemp -d is 0700): run from the workspace.
      { encoding: 'utf8', timeout: 60_000, cwd: workspace },
    );

  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'labs-nonroot-'));
    cpSync(join(ROOT, 'labs'), join(workspace, 'labs'), {
      recursive: true,
      filter: (src) => !src.includes('/recorded'),
    });
    cpSync(join(ROOT, 'node_modules', 'zx'), join(workspace, 'node_modules', 'zx'), {
      recursive: true,
    });
    cpSync(process.execPath, join(workspace, 'node'));
    cpSync(join(ROOT, 'package.json'), join(workspace, 'package.json'));
    mkdirSync(join(workspace, 'cache'));
    execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, join(workspace, 'cache')]);
    chmodSync(workspace, 0o755);
  });
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  it('runs the labs in a user namespace with the same claims holding', () => {
    const result = asNobody([...LABS, '--json']);
    expect(result.stderr).not.toMatch(/^lab: /m);
    expect(result.status).toBe(EXIT.ok);
    const runs = JSON.parse(result.stdout) as LabRun[];
    expect(runs.map((r) => [r.id, r.privilege])).toEqual(LABS.map((id) => [id, 'userns']));
    for (const run of runs) for (const claim of findLab(run.id)!.claims) assertClaim(claim, run);
  });

  it('names the setting and the alternatives when user namespaces are refused', () => {
    const result = asNobody([LABS[0]], { SOCKET_LABS_SIMULATE_REFUSAL: '1' });
    expect(result.status).toBe(EXIT.noSandbox);
    expect(result.stderr).toMatch(/^lab: Cannot create the lab's namespaces/m);
    expect(result.stderr).toMatch(
      /apparmor_restrict_unprivileged_userns.*unprivileged_userns_clone.*max_user_namespaces.*or run as root/s,
    );
  });
});
