/**
 * Every page of the built site in chromium: it loads without console errors or failed requests,
 * every internal link points at a page (or file) that exists and every #fragment at an element
 * on it, every chapter shows its lab cards with a ladder and ends with interview questions, and
 * every recorded capture downloads as a pcap file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chapters } from '../../content/chapters.ts';
import { differenceGroups } from '../../src/lib/kernels.ts';
import {
  chapterPagePaths,
  chapterPaths,
  site,
  sitePages,
  useBrowser,
  useTab,
} from './support/site.ts';

interface PageFacts {
  ids: string[];
  links: string[];
  /** Paths of the "previous" and "next" links at the foot of the page. */
  prev?: string;
  next?: string;
  /** Chapter pages: their lab cards and how many interview questions end them. */
  cards: Array<{ lab: string | null; ladder: boolean; pcap?: string }>;
  questions: number;
}

describe.skipIf(!!site.skip)(`the built site${site.skip ? ` (skipped: ${site.skip})` : ''}`, () => {
  const browser = useBrowser();
  const visit = useTab(browser);
  const pages = sitePages();
  const facts = new Map<string, PageFacts>();

  it('has the home page, every chapter and the practice and reference pages', () => {
    for (const path of [
      '/',
      '/running-labs/',
      '/practice/',
      '/myths/',
      '/glossary/',
      ...chapterPaths(),
    ]) {
      expect(pages).toContain(path);
    }
  });

  it.each(pages)('loads %s without console errors or failed requests', async (path) => {
    const { page, problems } = await visit(path);
    facts.set(
      path,
      await page.evaluate(() => ({
        ids: [...document.querySelectorAll('[id], a[name]')].map(
          (e) => e.id || e.getAttribute('name')!,
        ),
        links: [...document.querySelectorAll('a[href]')].map((a) => (a as HTMLAnchorElement).href),
        prev: document.querySelector<HTMLAnchorElement>('a[rel="prev"]')?.pathname,
        next: document.querySelector<HTMLAnchorElement>('a[rel="next"]')?.pathname,
        cards: [...document.querySelectorAll('article.lab-card')].map((el) => ({
          lab: el.getAttribute('data-lab'),
          ladder: !!el.querySelector('figure.ladder svg[role="img"], figure.ladder .ladder-empty'),
          pcap: el.querySelector<HTMLAnchorElement>('a[download]')?.href,
        })),
        questions: document.querySelectorAll(
          '.sl-heading-wrapper:has(#interview-questions) ~ .questions details.question',
        ).length,
      })),
    );
    expect(problems).toEqual([]);
  });

  it('has no broken internal links or anchors', async () => {
    expect(facts.size).toBe(pages.length);
    const broken: string[] = [];
    const files = new Map<string, number>();
    for (const [from, { links }] of facts) {
      for (const href of links) {
        const url = new URL(href);
        if (url.origin !== new URL(site.url).origin) continue;
        const target = url.pathname.endsWith('/') ? facts.get(url.pathname) : undefined;
        if (url.pathname.endsWith('/')) {
          if (!target) broken.push(`${from} → ${url.pathname}: no such page`);
          else if (url.hash && !target.ids.includes(decodeURIComponent(url.hash.slice(1)))) {
            broken.push(`${from} → ${url.pathname}${url.hash}: no element with that id`);
          }
          continue;
        }
        if (!files.has(url.pathname))
          files.set(url.pathname, (await fetch(site.url + url.pathname)).status);
        if (files.get(url.pathname) !== 200)
          broken.push(`${from} → ${url.pathname}: HTTP ${files.get(url.pathname)}`);
      }
    }
    expect(broken).toEqual([]);
  });

  // No network needed: a link out must have the form of one of the sources the site cites.
  it('links out only to well-formed URLs of the sources it cites', () => {
    const allowed = [
      /^https:\/\/www\.rfc-editor\.org\/rfc\/rfc\d{3,4}\.html(#(section|appendix)-[\dA-Z.]+)?$/,
      /^https:\/\/man7\.org\/linux\/man-pages\/man[1-8]\/[\w.:-]+\.[1-8][a-z]*\.html$/,
      /^https:\/\/git\.kernel\.org\/pub\/scm\/linux\/kernel\/git\/stable\/linux\.git\/tree\/[\w./-]+\?h=v\d+\.\d+(\.\d+)?(#L\d+)?$/,
      /^http:\/\/api\.zeromq\.org\/4-3:zmq-[\w-]+$/,
      /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/(issues|pull)\/\d+$/,
      /^https:\/\/astro\.build\/?$/,
      /^https:\/\/starlight\.astro\.build\/?$/,
    ];
    const bad = new Set<string>();
    let external = 0;
    for (const [from, { links }] of facts) {
      for (const href of links) {
        if (new URL(href).origin === new URL(site.url).origin) continue;
        external++;
        if (!allowed.some((re) => re.test(href))) bad.add(`${from} → ${href}`);
      }
    }
    expect([...bad]).toEqual([]);
    expect(external).toBeGreaterThan(100);
  });

  it('links each chapter page to the previous and next page in reading order', () => {
    const order = [...chapterPagePaths().values()].flat();
    for (const [i, path] of order.entries()) {
      const page = facts.get(path);
      if (i > 0) expect(page?.prev, `${path}: previous`).toBe(order[i - 1]);
      if (i + 1 < order.length) expect(page?.next, `${path}: next`).toBe(order[i + 1]);
    }
  });

  // From the visit above: every page was loaded once, chapters included.
  it.each(chapterPaths())(
    'shows every lab of %s (across its pages) as a card with a packet ladder, and ends its overview with interview questions',
    (path) => {
      const { questions } = facts.get(path)!;
      const cards = chapterPagePaths()
        .get(path)!
        .flatMap((page) => facts.get(page)!.cards);
      expect(cards.length).toBeGreaterThan(0);
      for (const card of cards)
        expect(card, `lab card ${card.lab}`).toMatchObject({
          ladder: true,
          pcap: expect.stringMatching(/\.pcap$/),
        });
      expect(
        questions,
        `${path} should end with interview questions (frontmatter \`questions\`)`,
      ).toBeGreaterThan(0);
    },
  );

  it('lists on /kernels/ every claim that differs between kernels, under the heading it belongs to', () => {
    const html = readFileSync(join(site.dir, 'kernels', 'index.html'), 'utf8');
    const { byChapter, costs } = differenceGroups(chapters);
    for (const group of [...byChapter, ...(costs.rows.length ? [costs] : [])]) {
      const after = html.split(`id="${group.slug}"`)[1];
      expect(after, `#${group.slug}`).toBeDefined();
      const table = after!.split('</table>')[0]!;
      expect(table.match(/<tr/g)?.length, `rows under #${group.slug}`).toBe(group.rows.length + 1);
    }
  });

  it('serves every recorded capture as a pcap file Wireshark can open', async () => {
    const captures = [
      ...new Set([...facts.values()].flatMap((f) => f.links).filter((l) => l.endsWith('.pcap'))),
    ];
    expect(captures.length).toBeGreaterThan(0);
    for (const href of captures) {
      const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
      const magic = Buffer.from(bytes.subarray(0, 4)).toString('hex');
      // Classic pcap magic in either byte order, microsecond or nanosecond timestamps.
      expect(['d4c3b2a1', 'a1b2c3d4', '4d3cb2a1', 'a1b23c4d'], href).toContain(magic);
    }
  });
});
