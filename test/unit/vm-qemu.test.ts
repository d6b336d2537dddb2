/** The VM layer's qemu command line and the scripts it hands the guest. */
import { describe, expect, it } from 'vitest';
import { qemuArgv, type BootSpec } from '../../labs/_lib/vm/qemu.ts';
import { commandScript, runScript } from '../../labs/_lib/vm/share.ts';

const spec = (accel: BootSpec['accel']): BootSpec => ({
  kernel: {
    kind: 'vm',
    name: '6.1',
    release: '6.1.0-57-amd64',
    vmlinuz: '/cache/vmlinuz',
    modulesDir: '/cache/lib/modules/6.1.0-57-amd64',
  },
  initrd: '/cache/initramfs.cpio.gz',
  share: '/cache/runs/1-abc',
  accel,
  cpus: 2,
  memoryMiB: 2048,
});

describe('qemuArgv', () => {
  it('gives the guest no network device', () => {
    const argv = qemuArgv(spec('tcg'));
    expect(argv).toEqual(expect.arrayContaining(['-nodefaults', '-nic', 'none']));
    expect(argv.join(' ')).not.toMatch(/-netdev|virtio-net|e1000|user,/);
  });

  it('shares the host root read-only and only the run directory writable', () => {
    const shares = qemuArgv(spec('tcg')).filter((_, i, a) => a[i - 1] === '-virtfs');
    expect(shares).toEqual([
      'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
      'local,path=/cache/runs/1-abc,mount_tag=share,security_model=none,multidevs=remap',
    ]);
  });

  it('turns a panic into qemu exiting', () => {
    const argv = qemuArgv(spec('tcg'));
    expect(argv).toContain('-no-reboot');
    expect(argv[argv.indexOf('-append') + 1]).toMatch(/(^| )panic=-1( |$)/);
  });

  it.each([
    ['kvm', ['-accel', 'kvm', '-cpu', 'host']],
    ['tcg', ['-accel', 'tcg,thread=multi', '-cpu', 'max']],
  ] as const)('selects %s', (accel, flags) => {
    const argv = qemuArgv(spec(accel)).join(' ');
    expect(argv).toContain(flags.join(' '));
  });
});

describe('guest scripts', () => {
  it('quotes every word of a command and sends its output to the share', () => {
    const script = commandScript(
      3,
      { argv: ['node', "it's", '$HOME'], env: { A: 'b c' } },
      '/work',
    );
    expect(script).toContain(
      `(cd '/work' && exec env 'A=b c' 'node' 'it'\\''s' '$HOME') > /vm/out/3.stdout 2> /vm/out/3.stderr < /dev/null`,
    );
    expect(script).toContain('echo "$code $ms" > /vm/out/3.exit');
    expect(script).toMatch(/^echo "@@vm:start 3"$/m);
  });

  it('runs the commands n at a time under a watchdog', () => {
    const script = runScript(5, 2, 630);
    expect(script).toContain('seq 0 4 | xargs -P 2 -I{} /bin/sh /vm/cmd/{}.sh');
    expect(script).toMatch(/sleep 630;.*echo o > \/proc\/sysrq-trigger\) &/);
  });
});
