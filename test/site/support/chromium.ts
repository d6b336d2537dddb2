/**
 * Finds and launches Debian's chromium for the site tests. The browser is never downloaded:
 * .ci/run installs the distribution package, and on a developer machine without it the site
 * tests are skipped with that reason (with CI=true they fail instead).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const candidates = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
].filter(Boolean) as string[];

/** The chromium executable, or undefined when none is installed. */
export function chromiumPath(): string | undefined {
  return candidates.find((p) => existsSync(p));
}

/** Why the site tests cannot run here, or undefined when they can. */
export function missingBrowserReason(): string | undefined {
  if (chromiumPath()) return undefined;
  return `no chromium at ${candidates.join(' or ')}: install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH`;
}

/** A headless chromium with everything that phones home turned off. */
export function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(missingBrowserReason());
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
