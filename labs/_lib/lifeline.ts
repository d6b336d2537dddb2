/**
 * Stops a long-running command when whoever started it goes away. `npm run lab` (and `npm
 * start`) run us as npm → sh → node; npm exits on SIGTERM without passing it on, which would
 * leave the lab (or the dev server) running as an orphan. So the command watches the processes
 * that started it, up to npm, and treats the loss of any of them as a SIGTERM.
 *
 * Design limit: Linux only (reads /proc); elsewhere it watches nothing.
 */
import { readFileSync } from 'node:fs';

/** pid, its parent, its command name and start time (to tell a reused pid from the original). */
function stat(pid: number): { ppid: number; comm: string; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces; the fields after it are space-separated.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const rest = text.slice(close + 2).split(' ');
    return { ppid: Number(rest[1]), comm, start: rest[19]! };
  } catch {
    return undefined;
  }
}

/** The processes to watch: our parent, and its ancestors up to the nearest npm or npx. */
export function ancestorsToWatch(
  pid = process.pid,
  depth = 4,
): Array<{ pid: number; start: string }> {
  const chain: Array<{ pid: number; start: string; comm: string }> = [];
  for (let p = stat(pid)?.ppid; p && p > 1 && chain.length < depth; p = stat(p)?.ppid) {
    const s = stat(p);
    if (!s) break;
    chain.push({ pid: p, start: s.start, comm: s.comm });
    if (/^npx?\b/.test(s.comm)) return chain.map(({ pid, start }) => ({ pid, start }));
  }
  // Without an npm among them, only the direct parent is ours to follow.
  return chain.slice(0, 1).map(({ pid, start }) => ({ pid, start }));
}

/** Calls `onGone` once when a watched ancestor exits; the check never keeps the process alive. */
export function watchAncestors(onGone: () => void, intervalMs = 250): () => void {
  const watched = ancestorsToWatch();
  if (watched.length === 0) return () => {};
  const timer = setInterval(() => {
    if (watched.some((w) => stat(w.pid)?.start !== w.start)) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
