/**
 * `npm run lab -- doctor`: can this machine run labs? Checks what a lab run needs, in the order a
 * run needs it, and for each missing piece says how to get it. Exits with the code the first
 * failing check would give a lab run (3 no sandbox, 4 missing tool, 2 a bad setting), so a
 * script can ask before it runs anything.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './cache.ts';
import { EXIT, LabError } from './errors.ts';
import { findCompiler } from './probes.ts';
import { onPath, sandboxBlocker, unshareArgs } from './sandbox.ts';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
  /** Exit code when this check fails. */
  code: number;
}

/** Which package brings each command on Debian/Ubuntu. */
const TOOLS: Array<[string, string]> = [
  ['ip', 'iproute2'],
  ['ss', 'iproute2'],
  ['nstat', 'iproute2'],
  ['unshare', 'util-linux'],
  ['mount', 'mount'],
  ['sysctl', 'procps'],
];

function checks(): Check[] {
  const uid = process.getuid?.() ?? -1;
  const list: Check[] = [
    {
      name: 'platform',
      ok: process.platform === 'linux',
      detail: process.platform,
      hint: 'Labs need Linux network namespaces: read the recorded runs on the site, or use a Linux VM.',
      code: EXIT.noSandbox,
    },
    {
      name: 'user',
      ok: true,
      detail:
        uid === 0 ? 'root (namespaces used directly)' : `uid ${uid} (unprivileged user namespaces)`,
      code: EXIT.ok,
    },
  ];
  for (const [tool, pkg] of TOOLS) {
    const found = onPath(tool);
    list.push({
      name: tool,
      ok: found,
      detail: found ? 'found' : 'not found on PATH',
      hint: `Install ${pkg} (apt-get install ${pkg}).`,
      code: EXIT.missingTool,
    });
  }
  const blocker = sandboxBlocker();
  const tried = blocker
    ? undefined
    : spawnSync('unshare', [...unshareArgs(uid === 0 ? 'root' : 'userns'), 'true'], {
        encoding: 'utf8',
      });
  list.push({
    name: 'sandbox',
    ok: !blocker && tried?.status === 0,
    detail: blocker
      ? blocker.message
      : tried?.status === 0
        ? 'namespaces can be created'
        : `unshare refused: ${tried?.stderr.trim()}`,
    hint:
      blocker?.hint ??
      'Inside a container, run it with --privileged; as a user, allow user namespaces or run as root.',
    code: blocker?.exitCode ?? EXIT.noSandbox,
  });
  list.push(cacheCheck(), compilerCheck());
  return list;
}

function cacheCheck(): Check {
  try {
    return { name: 'cache', ok: true, detail: cacheDir('probes'), code: EXIT.ok };
  } catch (error) {
    const e = error as LabError;
    return {
      name: 'cache',
      ok: false,
      detail: e.message,
      hint: e.hint,
      code: e.exitCode ?? EXIT.usage,
    };
  }
}

/** A compiler is only found if it really turns a C file into a program that runs. */
function compilerCheck(): Check {
  const cc = findCompiler();
  const hint =
    'Install one: apt-get install gcc (Debian/Ubuntu), dnf install gcc (Fedora); or set CC.';
  if (!cc)
    return {
      name: 'C compiler',
      ok: false,
      detail: 'none found (tried $CC, cc, gcc, clang)',
      hint,
      code: EXIT.missingTool,
    };
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(cacheDir('probes'), 'build-'));
    writeFileSync(join(dir, 'ok.c'), 'int main(void) { return 0; }\n');
    const built = spawnSync(cc, ['-o', join(dir, 'ok'), join(dir, 'ok.c')], {
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: dir },
    });
    const ran = built.status === 0 ? spawnSync(join(dir, 'ok')) : undefined;
    const ok = ran?.status === 0;
    return {
      name: 'C compiler',
      ok,
      detail: ok
        ? cc
        : `${cc} did not build a program that runs${built.stderr ? `: ${built.stderr.trim().split('\n')[0]}` : ''}`,
      hint,
      code: EXIT.missingTool,
    };
  } catch (error) {
    return {
      name: 'C compiler',
      ok: false,
      detail: (error as Error).message,
      hint,
      code: EXIT.missingTool,
    };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints the checks (or them as JSON) and returns the exit code of the first failure. */
export function doctor(json: boolean): number {
  const list = checks();
  const failed = list.find((c) => !c.ok);
  const exitCode = failed ? failed.code : EXIT.ok;
  if (json) {
    console.log(
      JSON.stringify({ exitCode, checks: list.map(({ code: _code, ...c }) => c) }, null, 1),
    );
    return exitCode;
  }
  for (const c of list) {
    console.log(`${c.ok ? 'ok     ' : 'MISSING'}  ${c.name.padEnd(11)} ${c.detail}`);
    if (!c.ok && c.hint) console.log(`         ${' '.repeat(11)} ${c.hint}`);
  }
  console.log(
    failed
      ? `\nThis machine cannot run labs yet (exit ${exitCode}).`
      : '\nThis machine can run labs.',
  );
  return exitCode;
}
