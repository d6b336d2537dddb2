/**
 * The sidebar, from the reading order in content/chapters.ts. A chapter listed there whose folder
 * does not exist yet is skipped, because Starlight fails the build on sidebar entries that point
 * at missing pages.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { chapters, type Chapter } from '../content/chapters.ts';

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
export const guides: Chapter[] = [
  { slug: 'symptoms', label: 'Symptoms' },
  { slug: 'running-labs', label: 'Running the labs' },
];

/** Pages gathered from every chapter (and the glossary), listed after the chapters. */
export const reference: Chapter[] = [
  { slug: 'practice', label: 'Interview practice' },
  { slug: 'myths', label: 'Myths, checked' },
  { slug: 'kernels', label: 'Kernels compared' },
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
      // Starlight matches `directory` against the entry's file path from the project root
      // (`content/<slug>/…`), not the slug, because this collection lives outside src/content/docs.
      // Collapsed: Starlight still opens the group of the page being read.
      return {
        label,
        collapsed: true,
        items: [{ autogenerate: { directory: `content/${slug}` } }],
      };
    }),
    ...(refs.length ? [{ label: 'Practice and reference', items: refs }] : []),
  ];
}
