/**
 * The reading experience, measured in a real browser: the table of contents follows the reader
 * through lab cards, tables never squeeze a word into letters, figures stay within bounds and
 * fit or scroll on a phone, search finds the spellings debuggers type, no page talks about "the
 * notes", and screenshots of the entry pages are kept in test-results/site/.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chapterPagePaths, openPage, site, useBrowser } from './support/site.ts';

const artifacts = 'test-results/site';
/** The tallest a figure may be before it must be cut down (a ladder of about 40 rows). */
const MAX_FIGURE_HEIGHT = 2000;

describe.skipIf(!!site.skip)('reading the site', () => {
  const browser = useBrowser();

  it.each(['/handshakes/accept-queue/', '/flow-control/'])(
    'the table of contents of %s highlights where the reader is, scrolling down',
    async (path) => {
      const { page, close } = await openPage(browser(), path, {
        viewport: { width: 1400, height: 900 },
      });
      await page.waitForTimeout(300); // the TOC script initialises when the browser is idle
      const { agree, total, wrong } = await page.evaluate(async () => {
        const toc = document.querySelector('starlight-toc')!;
        const links = [...toc.querySelectorAll<HTMLAnchorElement>('a')];
        const targets = links
          .map((a) => document.getElementById(decodeURIComponent(a.hash.slice(1))))
          .filter((e): e is HTMLElement => e !== null);
        const header = document.querySelector('header')!.getBoundingClientRect().height;
        const band = header + 32 + 53;
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        let agree = 0;
        let total = 0;
        const wrong: string[] = [];
        const end = document.documentElement.scrollHeight - innerHeight;
        for (let y = 0; y < end; y += 250) {
          window.scrollTo(0, y);
          await sleep(60);
          // Where the reader is: the last heading the TOC knows whose top has passed the band.
          const passed = targets.filter((t) => t.getBoundingClientRect().top <= band);
          const truth = passed.at(-1)?.id ?? '_top';
          const current = toc.querySelector<HTMLAnchorElement>('a[aria-current="true"]');
          const shown = current ? decodeURIComponent(current.hash.slice(1)) : '(none)';
          total++;
          if (shown === truth) agree++;
          else wrong.push(`${y}: shows ${shown}, reading ${truth}`);
        }
        return { agree, total, wrong };
      });
      await close();
      expect(agree / total, wrong.slice(0, 8).join('\n')).toBeGreaterThanOrEqual(0.95);
    },
    60_000,
  );

  /** Every page of every chapter, topic pages included. */
  const chapters = () => [...chapterPagePaths().values()].flat();
  it.each([1280, 390])(
    'no table cell is narrower than its longest word (%i px)',
    async (width) => {
      const problems: string[] = [];
      for (const path of chapters()) {
        const { page, close } = await openPage(browser(), path, {
          viewport: { width, height: 900 },
        });
        problems.push(
          ...(await page.evaluate((p) => {
            // Open every collapsed table, as a reader would.
            document
              .querySelectorAll('details')
              .forEach((d) => ((d as HTMLDetailsElement).open = true));
            const canvas = document.createElement('canvas').getContext('2d')!;
            const out: string[] = [];
            for (const cell of document.querySelectorAll<HTMLElement>('main td, main th')) {
              if (
                !cell.offsetParent ||
                cell.closest('.ladder-scroll, .figures-table-scroll, .states-scroll')
              )
                continue;
              const style = getComputedStyle(cell);
              const room =
                cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
              // Each word measured in the font it is set in (code spans use the monospace one).
              const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
              let widest = { word: '', width: 0 };
              for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const font = getComputedStyle(node.parentElement!);
                canvas.font = `${font.fontWeight} ${font.fontSize} ${font.fontFamily}`;
                // A browser may break after a hyphen (TIME-WAIT), so the parts count as words.
                for (const word of (node.textContent ?? '').split(/\s+|(?<=-)/)) {
                  if (word.length > 18) continue; // a long token is meant to wrap
                  const width = canvas.measureText(word).width;
                  if (width > widest.width) widest = { word, width };
                }
              }
              if (widest.width > room + 2) {
                out.push(`${p}: "${widest.word}" in a ${Math.round(room)} px cell`);
              }
            }
            return out;
          }, path)),
        );
        await close();
      }
      expect(problems).toEqual([]);
    },
    120_000,
  );

  it.each([1280, 390])(
    'every figure stays under the height bound and fits or scrolls at %i px',
    async (width) => {
      const problems: string[] = [];
      for (const path of chapters()) {
        const { page, close } = await openPage(browser(), path, {
          viewport: { width, height: 900 },
        });
        problems.push(
          ...(await page.evaluate(
            ({ p, max }) => {
              const out: string[] = [];
              const figures = document.querySelectorAll<HTMLElement>(
                'main figure, main .lab-card .figure > *',
              );
              for (const f of figures) {
                if (!f.offsetParent) continue;
                const box = f.getBoundingClientRect();
                if (box.height > max) out.push(`${p}: a figure ${Math.round(box.height)} px tall`);
                if (box.right > innerWidth + 1)
                  out.push(`${p}: a figure ends at ${Math.round(box.right)} px`);
              }
              return out;
            },
            { p: path, max: MAX_FIGURE_HEIGHT },
          )),
        );
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - innerWidth,
        );
        if (overflow > 0) problems.push(`${path}: the page scrolls sideways by ${overflow} px`);
        await close();
      }
      expect(problems).toEqual([]);
    },
    120_000,
  );

  it.each([
    ['TIME_WAIT', /^\/teardown\//],
    ['time wait', /^\/teardown\//],
    ['EADDRINUSE', /^\/teardown\//],
    ['Address already in use', /^\/teardown\//],
    ['Connection reset by peer', /^\/(teardown|reachability|handshakes)\//],
  ])('search for "%s" leads to a section of %s', async (term, where) => {
    const { page, close } = await openPage(browser(), '/');
    await page.locator('site-search button[data-open-modal]').click();
    await page.locator('site-search dialog input').fill(term);
    const results = page.locator('site-search .pagefind-ui__result-link');
    await results.first().waitFor({ timeout: 10_000 });
    const hrefs = await results.evaluateAll((links) =>
      links.map((a) => {
        const url = new URL((a as HTMLAnchorElement).href);
        return url.pathname + url.hash;
      }),
    );
    await close();
    expect(
      hrefs.some((h) => where.test(h) && h.includes('#')),
      hrefs.join('\n'),
    ).toBe(true);
  });

  it('says "the notes" nowhere: readers never saw them', () => {
    const pages = readdirSync(site.dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.html'),
    );
    const hits = pages.filter((f) =>
      /\b(the|source) notes\b/i.test(
        readFileSync(join(site.dir, f), 'utf8').replace(/<[^>]+>/g, ' '),
      ),
    );
    expect(hits).toEqual([]);
  });

  it.each(
    ['/', '/handshakes/', '/practice/', '/symptoms/'].flatMap((path) =>
      (['light', 'dark'] as const).flatMap((theme) =>
        [1280, 390].map((width) => [path, theme, width] as const),
      ),
    ),
  )('%s in %s mode at %i px (screenshot kept)', async (path, theme, width) => {
    mkdirSync(artifacts, { recursive: true });
    const { page, problems, close } = await openPage(browser(), path, {
      colorScheme: theme,
      viewport: { width, height: 900 },
    });
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
    if (path === '/practice/') {
      // The predict flow: choose, and the recorded outcome appears.
      const prediction = page.locator('[data-prediction]').first();
      expect(await prediction.locator('.outcome').isVisible()).toBe(false);
      await prediction.locator('input[type="radio"]').first().check();
      expect(await prediction.locator('.outcome').isVisible()).toBe(true);
    }
    const name = path === '/' ? 'home' : path.replaceAll('/', '');
    await page.screenshot({
      path: `${artifacts}/${name}-${theme}-${width}.png`,
      fullPage: path !== '/handshakes/',
    });
    await close();
    expect(problems).toEqual([]);
  });
});
