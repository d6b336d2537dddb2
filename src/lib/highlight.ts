/**
 * Syntax highlighting for the source pages, with shiki (the highlighter Starlight's code blocks
 * use): light and dark colours as CSS variables, each line an anchor (`#L12`) with its number as a
 * link, so a lab card or a chapter can point at the exact line that makes a claim true.
 */
import { createHighlighter, type Highlighter } from 'shiki';

let highlighter: Promise<Highlighter> | undefined;

/** The file as HTML: one `<span class="line" id="L<n>">` per line, each led by its number. */
export async function highlightWithLineAnchors(code: string, lang: 'ts' | 'c'): Promise<string> {
  highlighter ??= createHighlighter({
    // The high-contrast variants: every token of the plain GitHub themes does not reach 4.5:1
    // (github-light's orange parameters, github-dark's grey comments).
    themes: ['github-light-high-contrast', 'github-dark-high-contrast'],
    langs: ['ts', 'c'],
  });
  return (await highlighter).codeToHtml(code.replace(/\n$/, ''), {
    lang,
    themes: { light: 'github-light-high-contrast', dark: 'github-dark-high-contrast' },
    transformers: [
      {
        line(node, line) {
          node.properties.id = `L${line}`;
          node.children.unshift({
            type: 'element',
            tagName: 'a',
            properties: { href: `#L${line}`, class: 'ln', 'aria-label': `line ${line}` },
            children: [{ type: 'text', value: String(line) }],
          });
        },
      },
    ],
  });
}
