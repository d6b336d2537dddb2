import { markdownToHtml } from 'satteri';
import { describe, expect, it } from 'vitest';
import { aliasesOf, searchAliases } from '../../src/lib/search-aliases.ts';

describe('aliasesOf', () => {
  it.each([
    ['TIME-WAIT', 'TIME-WAIT TIME_WAIT time wait'],
    ['TIME_WAIT', 'TIME-WAIT TIME_WAIT time wait'],
    ['FIN-WAIT-2', 'FIN-WAIT-2 FIN_WAIT_2 fin wait 2'],
    ['EADDRINUSE', 'EADDRINUSE Address already in use'],
    ['ECONNRESET', 'ECONNRESET Connection reset by peer'],
  ])('gives %s the spellings "%s"', (word, aliases) => expect(aliasesOf(word)).toBe(aliases));

  it('gives ordinary words none', () => expect(aliasesOf('WAIT')).toBeUndefined());
});

describe('the Markdown plugin', () => {
  const html = (md: string) => markdownToHtml(md, { mdastPlugins: [searchAliases] }).html;

  it('wraps state and errno names in prose and code, changing nothing visible', () => {
    const out = html('The socket sits in TIME-WAIT; bind() fails with `EADDRINUSE`.');
    expect(out).toContain(
      '<span data-search="TIME-WAIT TIME_WAIT time wait" data-pagefind-index-attrs="data-search">TIME-WAIT</span>',
    );
    expect(out).toContain('<code>EADDRINUSE</code></span>');
    expect(out.replace(/<[^>]+>/g, '')).toBe(
      'The socket sits in TIME-WAIT; bind() fails with EADDRINUSE.\n',
    );
  });

  it('leaves headings and code blocks alone', () => {
    expect(html('## TIME-WAIT')).not.toContain('data-search');
    expect(html('```\nTIME-WAIT\n```')).not.toContain('data-search');
  });
});
