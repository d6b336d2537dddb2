/**
 * What the site tests share: the served site from the global setup, the list of its pages, a
 * browser per test file, and a page that records console errors and failed requests.
 */
import { readdirSync } from 'node:fs';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';
import { chapters } from '../../../src/chapters.ts';
import { launchChromium } from './chromium.ts';
import type { SiteContext } from './global-setup.ts';

/** The served site, or `skip` with the reason it cannot be tested here. */
export const site: SiteContext = inject('site');

/** URL paths of every HTML page in the build, `/` style, 404 excluded. */
export function sitePages(): string[] {
  if (site.skip) return [];
  return readdirSync(site.dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('index.html'))
    .map((f) => `/${f.replace(/index\.html$/, '')}`)
    .sort();
}

/** The chapters of src/chapters.ts that the build has a page for, as URL paths (`/handshakes/`). */
export function chapterPaths(): string[] {
  const built = new Set(sitePages());
  return chapters.map((c) => `/${c.slug}/`).filter((path) => built.has(path));
}

/** One browser for the calling test file, closed after it. */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!site.skip) browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the browser did not start');
    return browser;
  };
}

/** A page with problems collected: console errors, uncaught exceptions, same-site requests that failed. */
export interface CheckedPage {
  page: Page;
  problems: string[];
  close: () => Promise<void>;
}

/** Opens `path` of the served site in a fresh context and waits for its load event (module scripts have run by then). */
export async function openPage(browser: Browser, path: string, options: BrowserContextOptions = {}): Promise<CheckedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    if (r.url().startsWith(site.url) && r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(site.url + path, { waitUntil: 'load' });
  return { page, problems, close: () => context.close() };
}
