/**
 * `npm start`: the Astro dev server, stopped together with everything it started. npm exits on
 * SIGTERM without passing it on, and a terminal's Ctrl-C would reach astro only through us; so
 * astro runs in its own process group, and SIGINT, SIGTERM, or the loss of the npm that started
 * us stop that whole group (see labs/_lib/lifeline.ts). Exits 130 or 143 after a signal.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { watchAncestors } from '../labs/_lib/lifeline.ts';

// The package's own entry for its command (its "bin"), found beside its package.json.
const astro = join(
  dirname(createRequire(import.meta.url).resolve('astro/package.json')),
  'bin/astro.mjs',
);
// stdin is not passed on: a background process group reading the terminal would be stopped.
const child = spawn(process.execPath, [astro, 'dev', ...process.argv.slice(2)], {
  stdio: ['ignore', 'inherit', 'inherit'],
  detached: true,
});
let stoppedBy: NodeJS.Signals | undefined;
const stop = (signal: NodeJS.Signals) => {
  stoppedBy ??= signal;
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
watchAncestors(() => stop('SIGTERM'));
child.on('exit', (code) => {
  process.exitCode = stoppedBy === 'SIGINT' ? 130 : stoppedBy ? 143 : (code ?? 1);
});
