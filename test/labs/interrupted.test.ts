/**
 * A lab stopped mid-run, politely (SIGINT, SIGTERM) or not (SIGKILL), leaves nothing behind: no
 * process of its run, no namespace, no changed host setting. With SIGKILL there is nothing for a
 * next run to clean up either: the run's PID namespace takes its processes with it and its
 * network namespaces die with their last user.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../labs/_lib/errors.ts';
import { ROOT } from '../support/cli.ts';
import { skipLive } from '../support/gate.ts';
import { hostState, taggedProcesses } from '../support/host-state.ts';

/** A lab that waits on SYN retransmissions for 2.5 s: long enough to be caught mid-run. */
const LAB = 'handshakes/accept-queue-overflow';

function probeRunning(tag: string): boolean {
  return taggedProcesses(tag).some((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('client-');
    } catch {
      return false;
    }
  });
}

describe.skipIf(skipLive).each([['SIGINT'], ['SIGTERM'], ['SIGKILL']] as const)(
  'a lab run stopped by %s',
  (signal) => {
    it('ends promptly and leaves no process, namespace or setting behind', async () => {
      const before = hostState();
      const tag = randomUUID();
      const child = spawn(process.execPath, [resolve(ROOT, 'labs/cli.ts'), LAB], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1', SOCKET_LABS_RUN_TAG: tag },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));

      // Mid-run: the client probe is up and its SYNs are being dropped.
      await expect.poll(() => probeRunning(tag), { timeout: 15_000, interval: 20 }).toBe(true);
      const stoppedAt = performance.now();
      child.kill(signal);
      const code = await exited;

      if (signal === 'SIGKILL') expect(code).toBeNull();
      else {
        expect(code).toBe(EXIT.interrupted);
        expect(stderr).toMatch(/interrupted: cleaning up/);
      }
      // Every process of the run is gone within a second (SIGKILL: the run notices its launcher's
      // pipe closing and ends itself, taking its PID namespace down).
      await expect.poll(() => taggedProcesses(tag), { timeout: 5_000, interval: 20 }).toEqual([]);
      expect(performance.now() - stoppedAt).toBeLessThan(3_000);
      expect(hostState()).toEqual(before);
    }, 30_000);
  },
);
