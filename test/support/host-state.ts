/**
 * A snapshot of everything on the host that a lab must never change: links, addresses, routes,
 * named namespaces, listening sockets, and the sysctls labs set inside their own namespaces.
 * Plus: which processes of a tagged lab run are still alive.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { labs } from '../../labs/index.ts';
import { readRecording } from '../../labs/_lib/recordings.ts';
import { BASELINE_SYSCTLS } from '../../labs/_lib/baseline.ts';

const ip = (...args: string[]) =>
  JSON.parse(execFileSync('ip', ['-j', ...args], { encoding: 'utf8' }) || '[]');

/** Every sysctl key some lab pins in its namespaces (from the committed recordings). */
function touchedSysctls(): string[] {
  const keys = new Set(Object.keys(BASELINE_SYSCTLS));
  for (const lab of labs) {
    const run = readRecording(lab.id);
    for (const key of Object.keys(run?.sysctls ?? {})) keys.add(key.split(':').pop()!);
  }
  return [...keys].sort();
}

function readSysctl(key: string): string {
  try {
    return readFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, 'utf8').trim();
  } catch {
    return '(absent)';
  }
}

export interface HostState {
  links: unknown;
  addresses: unknown;
  routes: unknown;
  namedNamespaces: string[];
  listening: string[];
  sysctls: Record<string, string>;
}

export function hostState(): HostState {
  return {
    // Counters and timers move on their own: keep the identity and configuration of each link.
    links: (ip('link', 'show') as Array<Record<string, unknown>>).map(
      ({ ifname, mtu, flags, address, operstate }) => ({ ifname, mtu, flags, address, operstate }),
    ),
    addresses: (
      ip('addr', 'show') as Array<{
        ifname: string;
        addr_info: Array<{ local: string; prefixlen: number }>;
      }>
    ).map((l) => ({
      ifname: l.ifname,
      addrs: l.addr_info.map((a) => `${a.local}/${a.prefixlen}`).sort(),
    })),
    routes: ip('route', 'show', 'table', 'all'),
    namedNamespaces: existsSync('/run/netns') ? readdirSync('/run/netns').sort() : [],
    listening: execFileSync('ss', ['-H', '-l', '-n', '-t', '-u'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).slice(0, 5).join(' '))
      .sort(),
    sysctls: Object.fromEntries(touchedSysctls().map((key) => [key, readSysctl(key)])),
  };
}

/** Pids of live processes whose environment carries this run tag (the lab's whole tree inherits it). */
export function taggedProcesses(tag: string): number[] {
  const needle = `SOCKET_LABS_RUN_TAG=${tag}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1');
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      // Zombies are already dead; they only wait for their parent to reap them.
      if (env.split('\0').includes(needle) && !/\) Z /.test(stat)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
}
