/**
 * What the site tests share: the served site from the global setup, the list of its pages, a
 * browser per test file, and a page that records console errors and failed requests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';
import { chapters } from '../../../content/chapters.ts';
import { readingOrder } from '../../../labs/_lib/registry.ts';
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

/** The chapters of content/chapters.ts that the build has a page for, as URL paths (`/handshakes/`). */
export function chapterPaths(): string[] {
  const built = new Set(sitePages());
  return chapters.map((c) => `/${c.slug}/`).filter((path) => built.has(path));
}

/**
 * Each built chapter's pages as URL paths in sidebar order, its overview (`/teardown/`) first:
 * a chapter split into topic pages has its labs and its questions spread over them.
 */
export function chapterPagePaths(): Map<string, string[]> {
  const built = new Set(sitePages());
  const result = new Map<string, string[]>();
  for (const { slug } of chapters) {
    const dir = join('content', slug);
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir).filter((f) => /^[^_.].*\.mdx?$/.test(f));
    const ordered = readingOrder(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    const paths = ordered
      .map((f) => (/^index\.mdx?$/.test(f) ? `/${slug}/` : `/${slug}/${f.replace(/\.mdx?$/, '')}/`))
      .filter((path) => built.has(path));
    if (paths.length) result.set(`/${slug}/`, paths);
  }
  return result;
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

/**
 * One page for the calling test file, reused by its tests one after another, for tests that only
 * read what a page shows: a fresh context and page cost chromium about 0.3 s, as much as loading
 * a chapter. Each visit first leaves the previous page for about:blank, so requests it aborts
 * are not blamed on the next one, then collects problems afresh.
 */
export function useTab(
  browser: () => Browser,
): (path: string, colorScheme?: 'light' | 'dark') => Promise<Omit<CheckedPage, 'close'>> {
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let problems: string[] = [];
  afterAll(async () => {
    await context?.close();
  });
  return async (path, colorScheme = 'light') => {
    if (!page) {
      context = await browser().newContext();
      page = await context.newPage();
      watch(page, (problem) => problems.push(problem));
    }
    await page.goto('about:blank');
    problems = [];
    await page.emulateMedia({ colorScheme });
    await page.goto(site.url + path, { waitUntil: 'load' });
    return { page, problems };
  };
}

function watch(page: Page, report: (problem: string) => void): void {
  page.on('console', (m) => {
    if (m.type() === 'error') report(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => report(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => report(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    if (r.url().startsWith(site.url) && r.status() >= 400) report(`HTTP ${r.status()}: ${r.url()}`);
  });
}

/** Opens `path` of the served site in a fresh context and waits for its load event (module scripts have run by then). */
export async function openPage(
  browser: Browser,
  path: string,
  options: BrowserContextOptions = {},
): Promise<CheckedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems: string[] = [];
  watch(page, (problem) => problems.push(problem));
  await page.goto(site.url + path, { waitUntil: 'load' });
  return { page, problems, close: () => context.close() };
}
