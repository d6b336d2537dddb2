/**
 * The outer sandbox: every lab run happens inside fresh namespaces that die with it.
 *
 * `npm run lab` re-executes itself under
 *   unshare [--user --map-root-user] --net --mount --pid --fork --kill-child --mount-proc
 * so the run gets its own network namespace, its own mount namespace (where /run is a private
 * tmpfs, so `ip netns add` names cannot collide with the host's or another run's) and its own PID
 * namespace. When the run ends for any reason, SIGKILL included, the kernel kills every process
 * in that PID namespace and the namespaces disappear with their last user: nothing can be left
 * on the host. Inside, labs still delete what they made, so a long run stays tidy.
 *
 * As root no user namespace is needed; as an ordinary user `--user --map-root-user` gives the
 * capabilities over the new namespaces only, never over the host.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { EXIT, LabError } from './errors.ts';
import { watchAncestors } from './lifeline.ts';

export type Privilege = 'root' | 'userns';

const INSIDE = 'SOCKET_LABS_SANDBOX';
const PCAP_FD = 'SOCKET_LABS_PCAP_FD';

/**
 * True when this process runs inside a lab sandbox the launcher made. The variable alone does not
 * count: set by hand it would skip the sandbox (and mount a tmpfs over the caller's /run), so it
 * must come with the sandbox's own mark, being PID 1 of a fresh PID namespace.
 */
export function insideSandbox(): boolean {
  const set = process.env[INSIDE] === 'root' || process.env[INSIDE] === 'userns';
  if (set && process.pid !== 1) {
    throw new LabError(
      EXIT.usage,
      `${INSIDE} is set, but this is not a lab sandbox: the variable is internal to the launcher.`,
      `Unset it (env -u ${INSIDE} npm run lab -- ...).`,
    );
  }
  return set;
}

/** How the sandbox was entered (valid inside it). */
export function sandboxPrivilege(): Privilege {
  return process.env[INSIDE] === 'root' ? 'root' : 'userns';
}

function readSetting(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Why this machine cannot run labs, or undefined if it can. Checks the platform, the tools and,
 * for non-root users, the settings that forbid unprivileged user namespaces.
 */
export function sandboxBlocker(
  platform: string = process.platform,
  uid: number = process.getuid?.() ?? -1,
  read: (path: string) => string | undefined = readSetting,
): LabError | undefined {
  if (platform !== 'linux') {
    return new LabError(
      EXIT.noSandbox,
      `Labs need Linux network namespaces; this is ${platform}.`,
      'Read the recorded runs on the site, or run the labs in a Linux VM.',
    );
  }
  for (const tool of ['unshare', 'ip', 'ss']) {
    if (!onPath(tool)) {
      return new LabError(
        EXIT.missingTool,
        `\`${tool}\` was not found on PATH.`,
        tool === 'unshare' ? 'Install util-linux.' : 'Install iproute2.',
      );
    }
  }
  if (uid === 0) return undefined;
  if (read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') {
    return new LabError(
      EXIT.noSandbox,
      'Unprivileged user namespaces are forbidden by kernel.apparmor_restrict_unprivileged_userns=1.',
      'Run the lab as root (sudo -E npm run lab -- ...), or allow them: sysctl kernel.apparmor_restrict_unprivileged_userns=0.',
    );
  }
  if (read('/proc/sys/kernel/unprivileged_userns_clone') === '0') {
    return new LabError(
      EXIT.noSandbox,
      'Unprivileged user namespaces are disabled by kernel.unprivileged_userns_clone=0.',
      'Run the lab as root, or set kernel.unprivileged_userns_clone=1.',
    );
  }
  if (read('/proc/sys/user/max_user_namespaces') === '0') {
    return new LabError(
      EXIT.noSandbox,
      'User namespaces are disabled (user.max_user_namespaces=0).',
      'Run the lab as root, or raise user.max_user_namespaces.',
    );
  }
  return undefined;
}

export function onPath(tool: string): boolean {
  return (
    (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${tool}`)) ||
    ['/usr/sbin', '/sbin'].some((dir) => existsSync(`${dir}/${tool}`))
  );
}

/** The unshare argv that enters a fresh sandbox for the given privilege. */
export function unshareArgs(privilege: Privilege): string[] {
  return [
    ...(privilege === 'userns' ? ['--user', '--map-root-user'] : []),
    '--net',
    '--mount',
    '--pid',
    '--fork',
    '--kill-child',
    '--mount-proc',
  ];
}

/** What the launcher hands the run inside the sandbox besides its arguments. */
export interface SandboxRun {
  argv: string[];
  simulateRefusal?: boolean;
  /** An open file the run writes its capture to (fd 4 inside), opened on the host side. */
  pcapFd?: number;
}

/**
 * Re-runs this CLI inside a fresh sandbox and resolves with its exit code. SIGINT and SIGTERM
 * sent to us, or the loss of the npm process that started us, are passed on; the run cleans up
 * and reports 130 or 143. The run reports its exit code on the fd 3 pipe before it exits; a run
 * that ends without a report was killed (or crashed), which is EXIT.killed, never "a claim
 * failed". If we are killed outright (SIGKILL), the run notices its fd 3 pipe closing and ends
 * itself, and the PID namespace takes every lab process with it (see `watchParent`).
 */
export async function runInSandbox(run: SandboxRun): Promise<number> {
  const blocker = sandboxBlocker();
  if (blocker) throw blocker;
  const privilege: Privilege = process.getuid?.() === 0 ? 'root' : 'userns';
  const probe = spawnSync('unshare', [...unshareArgs(privilege), 'true'], { encoding: 'utf8' });
  if (run.simulateRefusal || probe.status !== 0) {
    const why = run.simulateRefusal
      ? 'unshare: unshare failed: Operation not permitted (simulated)'
      : probe.stderr.trim();
    throw new LabError(
      EXIT.noSandbox,
      `Cannot create the lab's namespaces: ${why}`,
      privilege === 'root'
        ? 'The kernel refused network/mount/PID namespaces: inside a container, run it with --privileged.'
        : 'Unprivileged user namespaces seem forbidden (check kernel.apparmor_restrict_unprivileged_userns, ' +
            'kernel.unprivileged_userns_clone, user.max_user_namespaces), or run as root.',
    );
  }
  const child = spawn('unshare', [...unshareArgs(privilege), process.execPath, ...run.argv], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe', run.pcapFd ?? 'ignore'],
    env: {
      ...process.env,
      [INSIDE]: privilege,
      ...(run.pcapFd !== undefined ? { [PCAP_FD]: '4' } : {}),
    },
  });
  // unshare ignores SIGINT/SIGTERM while it waits for its child, so a signal is passed on
  // through the fd 3 pipe, which the run inside watches (see watchParent); the run answers on
  // the same pipe with its exit code.
  const control = child.stdio[3] as unknown as import('node:net').Socket;
  control.on('error', () => {});
  let reported: number | undefined;
  let buffered = '';
  control.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const m = /^exit (\d+)$/m.exec(buffered);
    if (m) reported = Number(m[1]);
  });
  const forward = (signal: NodeJS.Signals) => () => control.write(`${signal}\n`);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const stopWatching = watchAncestors(onTerm);
  return await new Promise<number>((resolve) => {
    child.on('close', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      stopWatching();
      if (reported !== undefined) return resolve(reported);
      process.stderr.write(
        `lab: the run ended without reporting its result (${signal ? `killed by ${signal}` : `unshare exited ${code}`}); nothing of it is left running.\n`,
      );
      resolve(EXIT.killed);
    });
  });
}

/** Inside the sandbox: the fd the launcher opened for the capture file, if any. */
export function sandboxPcapFd(): number | undefined {
  return process.env[PCAP_FD] ? Number(process.env[PCAP_FD]) : undefined;
}

/**
 * Inside the sandbox: tells the launcher the run's exit code (see runInSandbox). Registered on
 * 'exit', so every way out, process.exit() included, reports.
 */
function reportExitCode(): void {
  process.on('exit', (code) => {
    try {
      writeSync(3, `exit ${code}\n`);
    } catch {
      // The launcher is gone: nobody to tell.
    }
  });
}

/**
 * Inside the sandbox: make /run private so `ip netns` keeps its names here. fd 3 is a pipe from
 * the launcher: a line on it is a signal passed on; its end means the launcher is gone (even
 * killed with SIGKILL). Either way `onStop` cleans up and exits, and the PID namespace takes
 * every lab process with us.
 */
export function prepareSandbox(onStop: (signal: 'SIGINT' | 'SIGTERM') => void): void {
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=755', 'socket-labs', '/run']);
  if (mount.status !== 0) {
    throw new LabError(
      EXIT.noSandbox,
      `Cannot mount a private /run in the sandbox: ${mount.stderr}`,
    );
  }
  spawnSync('mkdir', ['-p', '/run/netns']);
  reportExitCode();
  watchParent(onStop);
}

function watchParent(onStop: (signal: 'SIGINT' | 'SIGTERM') => void): void {
  try {
    // The launcher holds the other end of fd 3: a line on it is a signal passed on; EOF means the
    // launcher is gone (even killed with SIGKILL), treated as SIGTERM. unref(): the watch alone
    // must not keep the run alive once the lab is done.
    const pipe = new Socket({ fd: 3, readable: true, writable: false });
    pipe
      .setEncoding('utf8')
      .on('data', (line: string) => onStop(line.startsWith('SIGINT') ? 'SIGINT' : 'SIGTERM'));
    pipe.on('end', () => onStop('SIGTERM'));
    pipe.on('error', () => {});
    pipe.resume();
    pipe.unref();
  } catch {
    // fd 3 absent (started by hand, not through the launcher): nothing to watch.
  }
}
