/**
 * The book's reading order, declared once. The sidebar (astro.config.mjs) and the home page's
 * chapter list both read it. Adding a chapter is one line here plus its folder in `content/`;
 * a chapter listed here whose folder does not exist yet is skipped, because Starlight fails the
 * build on sidebar entries that point at missing pages.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** One chapter: its folder under `content/` and the label the sidebar shows. */
export interface Chapter {
  slug: string;
  label: string;
}

/** Every chapter, in reading order, whether or not it is written yet. */
export const chapters: Chapter[] = [
  { slug: 'handshakes', label: 'Handshakes' },
  { slug: 'teardown', label: 'Teardown' },
  { slug: 'segments', label: 'Segments' },
  { slug: 'mtu-mss', label: 'MTU and MSS' },
  { slug: 'fragmentation', label: 'Fragmentation' },
  { slug: 'epoll', label: 'epoll' },
  { slug: 'socket-options', label: 'Socket options' },
  { slug: 'udp', label: 'UDP' },
  { slug: 'flow-control', label: 'Flow control' },
  { slug: 'ports', label: 'Ports' },
  { slug: 'reachability', label: 'Reachability' },
  { slug: 'zeromq', label: 'ZeroMQ' },
  { slug: 'multicast', label: 'Multicast' },
  { slug: 'observability', label: 'Observability' },
];

const pagePattern = /^[^_.].*\.mdx?$/;

/** The page files (`.md`/`.mdx`, not `_`-prefixed) directly or deeper inside one chapter folder. */
export function chapterPages(contentDir: string, slug: string): string[] {
  const dir = join(contentDir, slug);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    pagePattern.test(f.split('/').at(-1) ?? ''),
  );
}

/** The chapters that have at least one page in `contentDir`, in reading order. */
export function writtenChapters(contentDir: string): Chapter[] {
  return chapters.filter((c) => chapterPages(contentDir, c.slug).length > 0);
}

/** Pages listed before the chapters. */
export const guides: Chapter[] = [{ slug: 'running-labs', label: 'Running the labs' }];

/** Pages gathered from every chapter (and the glossary), listed after the chapters. */
export const reference: Chapter[] = [
  { slug: 'practice', label: 'Interview practice' },
  { slug: 'myths', label: 'Myths, checked' },
  { slug: 'glossary', label: 'Glossary' },
];

const hasPage = (contentDir: string, slug: string) =>
  existsSync(join(contentDir, `${slug}.mdx`)) || existsSync(join(contentDir, `${slug}.md`));

/**
 * Starlight sidebar items for an absolute `contentDir`: home, how to run the labs, each written
 * chapter, then the practice and reference pages; pages not written yet are left out.
 */
export function sidebar(contentDir: string) {
  const refs = reference
    .filter((r) => hasPage(contentDir, r.slug))
    .map(({ slug, label }) => ({ label, slug }));
  return [
    { label: 'Home', link: '/' },
    ...guides
      .filter((g) => hasPage(contentDir, g.slug))
      .map(({ slug, label }) => ({ label, slug })),
    ...writtenChapters(contentDir).map(({ slug, label }) => {
      const pages = chapterPages(contentDir, slug);
      // A one-page chapter is a plain link; a group with a single child would only add a click.
      if (pages.length === 1 && /^index\.mdx?$/.test(pages[0]!)) return { label, slug };
      return { label, items: [{ autogenerate: { directory: slug } }] };
    }),
    ...(refs.length ? [{ label: 'Practice and reference', items: refs }] : []),
  ];
}
