/** The sandbox's preflight: each refusal names its cause and the way out. */
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../labs/_lib/errors.ts';
import { sandboxBlocker, unshareArgs } from '../../labs/_lib/sandbox.ts';

const settings = (values: Record<string, string>) => (path: string) => values[path];

describe('sandboxBlocker', () => {
  it('refuses a non-Linux platform with exit 3', () => {
    const blocker = sandboxBlocker('darwin', 501, settings({}));
    expect(blocker?.exitCode).toBe(EXIT.noSandbox);
    expect(blocker?.message).toMatch(/need Linux network namespaces; this is darwin/);
  });

  it.each([
    [
      '/proc/sys/kernel/apparmor_restrict_unprivileged_userns',
      '1',
      /apparmor_restrict_unprivileged_userns=1/,
    ],
    ['/proc/sys/kernel/unprivileged_userns_clone', '0', /unprivileged_userns_clone=0/],
    ['/proc/sys/user/max_user_namespaces', '0', /max_user_namespaces=0/],
  ])('names %s=%s for an ordinary user', (path, value, message) => {
    const blocker = sandboxBlocker('linux', 1000, settings({ [path]: value }));
    expect(blocker?.exitCode).toBe(EXIT.noSandbox);
    expect(blocker?.message).toMatch(message);
    expect(blocker?.hint).toMatch(/root/);
  });

  it('lets root through whatever the user-namespace settings say', () => {
    expect(
      sandboxBlocker(
        'linux',
        0,
        settings({ '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '1' }),
      ),
    ).toBeUndefined();
  });
});

describe('unshareArgs', () => {
  it('adds a user namespace only for an unprivileged run', () => {
    expect(unshareArgs('root')).not.toContain('--user');
    expect(unshareArgs('userns').slice(0, 2)).toEqual(['--user', '--map-root-user']);
  });
  it('always takes a PID namespace that dies with the run', () => {
    expect(unshareArgs('root')).toEqual(
      expect.arrayContaining(['--pid', '--fork', '--kill-child', '--mount-proc']),
    );
  });
});
