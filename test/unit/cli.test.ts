/** The lab CLI's contract with a reader: help, listing, and one-line errors with distinct exit codes. */
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../labs/_lib/errors.ts';
import { labs } from '../../labs/index.ts';
import { parseCli } from '../../labs/_lib/command.ts';
import { cli, ROOT } from '../support/cli.ts';
import { schemaErrors } from '../support/result-schema.ts';

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
    ['a flag list does not take', ['list', '--strict'], /`list` does not take --strict/],
    [
      'a flag doctor does not take',
      ['doctor', '--pcap', 'x.pcap'],
      /`doctor` does not take --pcap/,
    ],
    ['--pcap without a value', ['handshakes', '--pcap'], /--pcap/],
    ['a 100 000-character name', ['x'.repeat(100_000)], /"x{60}… \(100000 characters\)"/],
    [
      '--pcap on a kernel file system',
      ['handshakes', '--pcap', '/proc/x.pcap'],
      /kernel file system/,
    ],
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
      expect(stderr).toMatch(
        /Cannot write the capture to .*missing\/x\.pcap: its directory does not exist/,
      );
    });

    it('refuses a directory given as the file with exit 2', async () => {
      const { code, stderr } = await cli(['handshakes', '--pcap', dir]);
      expect(code).toBe(EXIT.usage);
      expect(stderr).toMatch(/it is a directory/);
    });

    it.skipIf(process.getuid?.() === 0)('refuses a read-only directory with exit 2', async () => {
      chmodSync(dir, 0o500);
      const { code } = await cli(['handshakes', '--pcap', join(dir, 'x.pcap')]);
      chmodSync(dir, 0o700);
      expect(code).toBe(EXIT.usage);
    });
  });

  it('prints exactly one JSON document on stdout for a usage error with --json', async () => {
    const { code, stdout } = await cli(['no-such-lab', '--json']);
    expect(code).toBe(EXIT.usage);
    const doc = JSON.parse(stdout);
    expect(doc).toMatchObject({
      exitCode: EXIT.usage,
      error: { message: expect.stringMatching(/no-such-lab/) },
    });
    expect(schemaErrors(doc)).toEqual([]);
  });

  it('lists the labs as JSON', async () => {
    const { code, stdout } = await cli(['list', '--json']);
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(stdout).map((l: { id: string }) => l.id)).toEqual(labs.map((l) => l.id));
  });

  it('refuses the sandbox marker set by hand, with exit 2, instead of skipping the sandbox', async () => {
    const { code, stderr } = await cli(['handshakes/connection-refused'], {
      SOCKET_LABS_SANDBOX: 'root',
    });
    expect(code).toBe(EXIT.usage);
    expect(stderr).toMatch(/^lab: SOCKET_LABS_SANDBOX is set, but this is not a lab sandbox/m);
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

describe('parseCli', () => {
  it('accepts a chapter with a trailing slash', () => {
    const opts = parseCli(['handshakes/'], labs);
    expect(opts.labs.map((l) => l.id)).toEqual(
      labs.filter((l) => l.id.startsWith('handshakes/')).map((l) => l.id),
    );
  });

  it('resolves --pcap against the directory npm was started from', () => {
    const before = process.env.INIT_CWD;
    process.env.INIT_CWD = '/srv/somewhere';
    try {
      expect(parseCli(['handshakes', '--pcap', 'x.pcap'], labs).pcap).toBe('/srv/somewhere/x.pcap');
    } finally {
      if (before === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = before;
    }
  });

  it('runs each lab once when a lab and its chapter are both named', () => {
    const opts = parseCli(['handshakes/self-connect', 'handshakes'], labs);
    expect(new Set(opts.labs).size).toBe(opts.labs.length);
  });
});

describe.skipIf(process.platform !== 'linux')('doctor', () => {
  it('reports a missing nstat with exit 4 and the package that brings it', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'labs-nonstat-'));
    try {
      for (const tool of [
        'unshare',
        'ip',
        'ss',
        'mount',
        'sysctl',
        'cc',
        'gcc',
        'true',
        'as',
        'ld',
      ]) {
        const found = ['/usr/bin', '/bin', '/usr/sbin', '/sbin']
          .map((d) => join(d, tool))
          .find((p) => existsSync(p));
        if (found) symlinkSync(found, join(bin, tool));
      }
      const { code, stdout } = await cli(['doctor'], { PATH: bin });
      expect(stdout).toMatch(/^MISSING\s+nstat\s+not found on PATH/m);
      expect(stdout).toMatch(/apt-get install iproute2/);
      expect(code).toBe(EXIT.missingTool);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('reports a "compiler" that builds nothing (CC=/bin/true) with exit 4', async () => {
    const { code, stdout } = await cli(['doctor', '--json'], { CC: '/bin/true' });
    const report = JSON.parse(stdout);
    expect(report.checks.find((c: { name: string }) => c.name === 'C compiler')).toMatchObject({
      ok: false,
    });
    expect(code).toBe(EXIT.missingTool);
  });

  it('refuses a cache under /proc with exit 2 instead of spinning', async () => {
    const { code, stdout } = await cli(['doctor'], { SOCKET_LABS_CACHE: '/proc/x' }, 10_000);
    expect(stdout).toMatch(
      /^MISSING\s+cache\s+SOCKET_LABS_CACHE=\/proc\/x is not a usable cache directory/m,
    );
    expect(code).toBe(EXIT.usage);
  });
});

describe.each([
  ['labs:stress', 'labs/stress.ts'],
  ['labs:bench', 'labs/bench.ts'],
])('%s', (name, script) => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, script), ...args], { encoding: 'utf8', cwd: ROOT });
  it.each([
    [['--runs=-1'], /--runs must be a whole number from 1/],
    [['--runs', 'many'], /--runs must be a whole number/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['nochapter'], /Unknown lab or chapter "nochapter"/],
  ])('refuses %j in one line with exit 2, before running anything', (args, message) => {
    const result = run(args);
    expect(result.status).toBe(EXIT.usage);
    expect(result.stderr).toMatch(new RegExp(`^${name}: ${message.source}`, 'm'));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
