/**
 * Undo on every exit path: while a VM runs, SIGINT, SIGTERM, SIGHUP and process exit kill its
 * qemu and remove its run directory. The handlers exist only while something is registered, so
 * an idle library changes nothing about how the process reacts to signals.
 */

type Undo = () => void;

const pending = new Set<Undo>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Registers a synchronous undo; returns the function that runs it now and unregisters it. */
export function onCleanup(undo: Undo): () => void {
  if (pending.size === 0) install();
  pending.add(undo);
  return () => {
    if (!pending.delete(undo)) return;
    if (pending.size === 0) uninstall();
    undo();
  };
}

function runAll(): void {
  for (const undo of [...pending]) {
    pending.delete(undo);
    try {
      undo();
    } catch {
      // Best effort: one failed removal must not stop the others.
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  uninstall();
  // Alone, we would swallow the signal: re-raise it so the default action (exit) happens. With
  // other listeners (the lab CLI's own handler), leave the decision to them.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('exit', runAll);
}

function uninstall(): void {
  for (const signal of SIGNALS) process.off(signal, onSignal);
  process.off('exit', runAll);
}

/** True while process `pid` exists (EPERM: it exists but is someone else's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
