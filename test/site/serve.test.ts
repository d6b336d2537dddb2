/**
 * `npm start` stops with everything it started: npm exits on SIGTERM without passing it on, so
 * the dev server must notice its npm is gone (src/serve.ts) instead of running on as an orphan.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.ts';
import { taggedProcesses } from '../support/host-state.ts';

describe.skipIf(process.platform !== 'linux')('npm start', () => {
  it('stops the dev server when the npm process alone gets SIGTERM', async () => {
    const tag = randomUUID();
    const npm = spawn('npm', ['start', '--', '--port', '4399'], {
      cwd: ROOT,
      env: { ...process.env, SOCKET_LABS_RUN_TAG: tag },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await expect.poll(() => out, { timeout: 60_000, interval: 100 }).toMatch(/localhost:4399/);
    expect(taggedProcesses(tag).length).toBeGreaterThan(1);
    npm.kill('SIGTERM');
    await expect.poll(() => taggedProcesses(tag), { timeout: 5_000, interval: 50 }).toEqual([]);
  }, 90_000);
});
