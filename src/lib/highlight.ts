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
    themes: ['github-light', 'github-dark'],
    langs: ['ts', 'c'],
  });
  return (await highlighter).codeToHtml(code.replace(/\n$/, ''), {
    lang,
    themes: { light: 'github-light', dark: 'github-dark' },
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
