/**
 * What readers do: search for a term and land on a chapter, reveal an answer on the practice
 * page (with and without JavaScript), filter it by chapter, move by keyboard; and screenshots of
 * a chapter in light and dark mode, desktop and phone, kept in test-results/site/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chapterPagePaths, openPage, site, useBrowser } from './support/site.ts';

const artifacts = 'test-results/site';

describe.skipIf(!!site.skip)('reading the site', () => {
  const browser = useBrowser();

  it.each([
    ['handshake', '/handshakes/'],
    ['ECONNREFUSED', '/handshakes/connection-refused/'],
  ])('search for "%s" lists %s', async (term, chapter) => {
    const { page, problems, close } = await openPage(browser(), '/');
    await page.locator('site-search button[data-open-modal]').click();
    await page.locator('site-search dialog input').fill(term);
    const results = page.locator('site-search .pagefind-ui__result-link');
    await results.first().waitFor({ timeout: 10_000 });
    const hrefs = await results.evaluateAll((links) =>
      links.map((a) => new URL((a as HTMLAnchorElement).href).pathname),
    );
    await close();
    expect(hrefs).toContain(chapter);
    expect(problems).toEqual([]);
  });

  it('search finds interview questions on the practice page', async () => {
    const { page, close } = await openPage(browser(), '/');
    await page.locator('site-search button[data-open-modal]').click();
    await page.locator('site-search dialog input').fill('Recv-Q Send-Q listening socket');
    const results = page.locator('site-search .pagefind-ui__result-link');
    await results.first().waitFor({ timeout: 10_000 });
    const hrefs = await results.evaluateAll((links) =>
      links.map((a) => new URL((a as HTMLAnchorElement).href).pathname),
    );
    await close();
    expect(hrefs).toContain('/practice/');
  });

  it.each([true, false])(
    'practice page reveals an answer (JavaScript %s)',
    async (javaScriptEnabled) => {
      const { page, close } = await openPage(browser(), '/practice/', { javaScriptEnabled });
      const first = page.locator('details.question').first();
      const answer = first.locator('.answer');
      expect(await answer.isVisible()).toBe(false);
      await first.locator('summary').click();
      await expect.poll(() => answer.isVisible()).toBe(true);
      expect(await answer.locator('a[href*="#"]').count()).toBeGreaterThan(0);
      if (javaScriptEnabled) {
        // Remembered across visits.
        await page.reload();
        await expect
          .poll(() => page.locator('details.question').first().getAttribute('data-seen'))
          .toBe('');
        await expect
          .poll(() => page.locator('[data-progress]').textContent())
          .toMatch(/^1 of \d+ answers revealed/);
      }
      await close();
    },
  );

  it('practice page filters by chapter without JavaScript', async () => {
    const { page, close } = await openPage(browser(), '/practice/', { javaScriptEnabled: false });
    const chapters = await page
      .locator('section.group')
      .evaluateAll((s) => s.map((e) => e.getAttribute('data-chapter')!));
    const only = chapters[0]!;
    await page.locator(`#only-${only}`).check();
    const shown = await page
      .locator('details.question')
      .evaluateAll((qs) =>
        qs
          .filter((q) => (q as HTMLElement).offsetParent !== null)
          .map((q) => q.getAttribute('data-chapter')),
      );
    await close();
    expect(shown.length).toBeGreaterThan(0);
    expect(new Set(shown)).toEqual(new Set([only]));
  });

  it('practice page works from the keyboard: j moves to a question, Enter reveals it, s shuffles', async () => {
    const { page, close } = await openPage(browser(), '/practice/');
    await page.keyboard.press('j');
    const focused = () =>
      page.evaluate(() => document.activeElement?.closest('details')?.id ?? null);
    const first = await focused();
    expect(first).toBeTruthy();
    await page.keyboard.press('j');
    expect(await focused()).not.toBe(first);
    await page.keyboard.press('Enter');
    expect(await page.locator('details.question[open]').count()).toBe(1);
    await page.keyboard.press('s');
    expect(await page.locator('[data-shuffled] details.question').count()).toBeGreaterThan(0);
    await close();
  });

  it.each([
    ['light', 1280],
    ['dark', 1280],
    ['light', 390],
    ['dark', 390],
  ] as const)('a chapter renders in %s mode at %i px (screenshot kept)', async (theme, width) => {
    mkdirSync(artifacts, { recursive: true });
    // The first chapter's first page with a lab on it: an overview may carry none.
    const chapter = [...chapterPagePaths().values()][0]!.find((path) =>
      readFileSync(join(site.dir, path, 'index.html'), 'utf8').includes('lab-card'),
    )!;
    const { page, close } = await openPage(browser(), chapter, {
      colorScheme: theme,
      viewport: { width, height: 900 },
    });
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
    // Nothing wider than the phone screen except inside the scrollable ladders and tables.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    await page.screenshot({ path: `${artifacts}/chapter-${theme}-${width}.png`, fullPage: true });
    await page
      .locator('article.lab-card')
      .first()
      .screenshot({ path: `${artifacts}/lab-card-${theme}-${width}.png` });
    await close();
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
