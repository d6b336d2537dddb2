/** Waiting on a state, never on a time. */
import { EXIT, LabError } from './errors.ts';

/**
 * Polls `cond` every 10 ms until it holds; a setup error naming `what` after timeoutMs. For
 * states no probe announces (a route's cached PMTU, a counter that moves): the wait ends on the
 * state itself, so a slow machine waits longer instead of failing.
 */
export async function waitUntil(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline)
      throw new LabError(EXIT.setup, `Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
