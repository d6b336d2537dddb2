/**
 * Markdown strings from frontmatter (interview answers, myths, glossary definitions) rendered to
 * HTML at build time with satteri, the same parser Astro uses for pages. Links that are only a
 * `#fragment` point into the chapter the text came from, so pages that gather text from several
 * chapters (practice, myths) pass that chapter's URL to keep them working.
 */
import { markdownToHtml } from 'satteri';
import { sourceLinks } from './source-links.ts';

/** HTML of `md`; `#fragment` links are rewritten to `${base}#fragment` when `base` is given. */
export function renderMarkdown(md: string, base?: string): string {
  const html = markdownToHtml(md, { mdastPlugins: [sourceLinks] }).html;
  return base ? html.replace(/href="#/g, `href="${base}#`) : html;
}

/** Like `renderMarkdown`, without the wrapping `<p>` of a one-paragraph text (for inline use). */
export function renderInline(md: string, base?: string): string {
  const html = renderMarkdown(md, base).trim();
  const single = /^<p>([\s\S]*)<\/p>$/.exec(html);
  return single && !single[1]!.includes('<p>') ? single[1]! : html;
}
