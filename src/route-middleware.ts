/**
 * Starlight route middleware: adds the headings ChapterEnd.astro appends (myths, interview
 * questions) to the page's table of contents, which Starlight builds from the MDX headings only.
 */
import { defineRouteMiddleware } from '@astrojs/starlight/route-data';
import { endSections } from './lib/chapter-end.ts';

export const onRequest = defineRouteMiddleware((context) => {
  const route = context.locals.starlightRoute;
  const { toc } = route;
  if (!toc) return;
  for (const { slug, text } of endSections(route.entry.data)) {
    if (toc.items.some((i) => i.slug === slug)) continue;
    toc.items.push({ depth: 2, slug, text, children: [] });
  }
});
