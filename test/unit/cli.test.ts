/** The lab CLI's contract with a reader: help, listing, and one-line errors with distinct exit codes. */
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../labs/_lib/errors.ts';
import { labs } from '../../labs/index.ts';
import { cli } from '../support/cli.ts';

describe('lab CLI', () => {
  it('prints help with the commands and exit codes', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain('npm run lab -- list');
    expect(stdout).toContain('--pcap <file>');
    expect(stdout).toMatch(/Exit codes: 0 ok/);
  });

  it('lists every lab with its title, one line each', async () => {
    const { code, stdout } = await cli(['list']);
    expect(code).toBe(EXIT.ok);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(labs.length);
    for (const lab of labs) expect(stdout).toContain(lab.id);
  });

  describe.each([
    ['an unknown lab', ['no-such-lab'], /Unknown lab or chapter "no-such-lab"/],
    ['an unknown flag', ['handshakes', '--frobnicate'], /Unknown option '--frobnicate'/],
    ['no lab at all', [], /Name a lab or a chapter/],
    ['arguments to list', ['list', 'extra'], /`list` takes no arguments/],
    ['--pcap without a value', ['handshakes', '--pcap'], /--pcap/],
  ])('given %s', (_what, args, message) => {
    it('says why in one line, hints, and exits 2 before creating anything', async () => {
      const { code, stderr } = await cli(args);
      expect(code).toBe(EXIT.usage);
      expect(stderr).toMatch(message);
      expect(stderr).toMatch(/^hint: /m);
    });
  });

  describe('with an unwritable --pcap path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'labs-cli-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses a missing directory with exit 2', async () => {
      const { code, stderr } = await cli(['handshakes', '--pcap', join(dir, 'missing', 'x.pcap')]);
      expect(code).toBe(EXIT.usage);
      expect(stderr).toMatch(/Cannot write the capture to .*missing\/x\.pcap/);
    });

    it('refuses a directory given as the file with exit 2', async () => {
      const { code, stderr } = await cli(['handshakes', '--pcap', dir]);
      expect(code).toBe(EXIT.usage);
      expect(stderr).toMatch(/is a directory/);
    });

    it.skipIf(process.getuid?.() === 0)('refuses a read-only directory with exit 2', async () => {
      chmodSync(dir, 0o500);
      const { code } = await cli(['handshakes', '--pcap', join(dir, 'x.pcap')]);
      chmodSync(dir, 0o700);
      expect(code).toBe(EXIT.usage);
    });
  });

  it('reports a refused sandbox with exit 3 and names the settings to check', async () => {
    const { code, stderr } = await cli(['handshakes/connection-refused'], {
      SOCKET_LABS_SIMULATE_REFUSAL: '1',
    });
    expect(code).toBe(EXIT.noSandbox);
    expect(stderr).toMatch(/^lab: Cannot create the lab's namespaces/m);
    expect(stderr).toMatch(/^hint: /m);
  });

  it('reports a missing tool with exit 4', async () => {
    const { code, stderr } = await cli(['handshakes/connection-refused'], {
      PATH: '/nonexistent-bin',
    });
    expect(code).toBe(EXIT.missingTool);
    expect(stderr).toMatch(/^lab: `unshare` was not found on PATH\.$/m);
    expect(stderr).toMatch(/^hint: Install util-linux\.$/m);
  });

  it.skipIf(process.platform !== 'linux')(
    'reports a missing C compiler with exit 4, before making any namespace',
    async () => {
      // A PATH holding every tool the sandbox needs except a compiler.
      const bin = mkdtempSync(join(tmpdir(), 'labs-nocc-'));
      try {
        for (const tool of ['unshare', 'ip', 'ss', 'mount', 'mkdir', 'sysctl', 'nstat', 'true']) {
          const found = ['/usr/bin', '/bin', '/usr/sbin', '/sbin']
            .map((d) => join(d, tool))
            .find((p) => existsSync(p));
          if (found) symlinkSync(found, join(bin, tool));
        }
        const { code, stderr } = await cli(['handshakes/connection-refused'], {
          CC: '',
          PATH: bin,
        });
        expect(stderr).toMatch(/^lab: No C compiler found/m);
        expect(stderr).toMatch(/^hint: Install one/m);
        expect(code).toBe(EXIT.missingTool);
      } finally {
        rmSync(bin, { recursive: true, force: true });
      }
    },
  );
});
