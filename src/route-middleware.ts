/**
 * Starlight route middleware: completes the table of contents, which Starlight builds from the
 * MDX headings only: each lab card's title under its section (src/lib/toc.ts), and the headings
 * ChapterEnd.astro appends (myths, interview questions); on /kernels/, the headings its
 * KernelMatrix component draws.
 */
import { defineRouteMiddleware } from '@astrojs/starlight/route-data';
import { findLab } from '../labs/index.ts';
import { chapters } from '../content/chapters.ts';
import { endSections } from './lib/chapter-end.ts';
import { DIFFERENCES, differenceGroups, kernels } from './lib/kernels.ts';
import { labAnchor } from './lib/pages.ts';
import { withLabCards } from './lib/toc.ts';

export const onRequest = defineRouteMiddleware((context) => {
  const route = context.locals.starlightRoute;
  const { toc } = route;
  if (!toc) return;
  withLabCards(toc.items, route.entry.body ?? '', (id) => {
    const lab = findLab(id);
    return lab ? { slug: labAnchor(id), text: lab.title } : undefined;
  });
  // KernelMatrix draws these headings once some kernel is recorded.
  if (route.id === 'kernels' && kernels().length) {
    const { byChapter, costs } = differenceGroups(chapters);
    const entry = (g: { slug: string; label: string }, depth: number) => ({
      depth,
      slug: g.slug,
      text: g.label,
      children: [],
    });
    toc.items.push({
      ...entry(DIFFERENCES, 2),
      children: byChapter.map((g) => entry(g, 3)),
    });
    if (costs.rows.length) toc.items.push(entry(costs, 2));
  }
  for (const { slug, text } of endSections(route.entry.data)) {
    if (toc.items.some((i) => i.slug === slug)) continue;
    toc.items.push({ depth: 2, slug, text, children: [] });
  }
});
