// @ts-check
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'astro/config';
import starlight from '@astrojs/starlight';
import { sidebar } from './src/chapters.ts';
import { satteri } from '@astrojs/markdown-satteri';
import { searchAliases } from './src/lib/search-aliases.ts';
import { sourceLinks } from './src/lib/source-links.ts';
import { focusableTables } from './src/lib/focusable-tables.ts';

const contentDir = fileURLToPath(new URL('./content/', import.meta.url));

export default defineConfig({
  // RFCs, man pages and kernel paths cited in plain text become links (src/lib/source-links.ts);
  // TCP states and errno names carry their other spellings for search (src/lib/search-aliases.ts).
  markdown: {
    processor: satteri({
      mdastPlugins: [sourceLinks, searchAliases],
      hastPlugins: [focusableTables],
    }),
  },
  integrations: [
    starlight({
      title: 'Sockets, Observed',
      description:
        'How Linux TCP/IP sockets really behave, shown with packets recorded from labs you can re-run on your own kernel.',
      // Reading order lives in content/chapters.ts; only chapters with a folder in content/ appear.
      sidebar: sidebar(contentDir),
      // Without this, asides and heading anchors silently stop working outside src/content/docs.
      markdown: { processedDirs: ['./content/'] },
      customCss: ['./src/styles/site.css'],
      // MDX comes with Starlight (it adds @astrojs/mdx itself when absent), so it is not listed here.
      tableOfContents: { minHeadingLevel: 2, maxHeadingLevel: 3 },
      // Chapters end with their myths and interview questions, rendered from frontmatter.
      components: { MarkdownContent: './src/components/overrides/MarkdownContent.astro' },
      routeMiddleware: './src/route-middleware.ts',
    }),
  ],
});
