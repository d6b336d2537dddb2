import { describe, expect, it } from 'vitest';
import { endSections } from '../../src/lib/chapter-end.ts';
import { mythSchema, questionSchema } from '../../src/lib/interview-schema.ts';
import { renderInline, renderMarkdown } from '../../src/lib/markdown.ts';
import { labAnchor, slugify } from '../../src/lib/pages.ts';
import { glossary } from '../../src/glossary.ts';

describe('frontmatter questions and myths', () => {
  it('accepts a question with a Markdown answer', () => {
    expect(questionSchema.parse({ q: 'Why three segments?', a: 'See [the capture](#x).' })).toEqual(
      { q: 'Why three segments?', a: 'See [the capture](#x).' },
    );
  });

  it.each([
    [{ q: 'Why?' }, /answer `a`/],
    [{ q: 'Why?', a: '   ' }, /must not be empty/],
    [{ q: 'Why?', a: 'Because.', answer: 'typo' }, /answer/],
    [{ q: 'Why?', a: 'Because the kernel says so.' }, /must link its evidence/],
    [{ q: 'Why?', a: 'See [RFC 9293](https://www.rfc-editor.org/rfc/rfc9293).' }, /evidence/],
  ])('rejects %j with a message naming the field', (input, message) => {
    const result = questionSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(message);
  });

  it.each([
    '#the-three-segments',
    '#what-tcp_abort_on_overflow-really-changes',
    'handshakes/self-connect',
    '/epoll/waiting-on-many-sockets/#what-waiting-on-n-sockets-costs',
    '/teardown/#half-close-with-shutdown',
  ])('takes %s as evidence', (evidence) => {
    expect(mythSchema.safeParse({ claim: 'c', source: 's', truth: 't', evidence }).success).toBe(
      true,
    );
  });

  it.each(['https://example.com', '/teardown/orphans/', 'teardown/orphans/#x'])(
    'rejects %s: neither an anchor nor a lab id',
    (evidence) => {
      const result = mythSchema.safeParse({ claim: 'c', source: 's', truth: 't', evidence });
      expect(result.error?.issues[0]?.message).toMatch(/#section-anchor/);
    },
  );

  it('appends myths before questions, and nothing when there are none', () => {
    expect(endSections({ myths: [1], questions: [1] }).map((s) => s.slug)).toEqual([
      'myths-checked',
      'interview-questions',
    ]);
    expect(endSections({})).toEqual([]);
  });
});

describe('markdown from frontmatter', () => {
  it('points #fragment links at the chapter when rendered elsewhere', () => {
    expect(
      renderMarkdown(
        'See [it](#the-three-segments) and [RFC](https://www.rfc-editor.org/).',
        '/handshakes/',
      ),
    ).toBe(
      '<p>See <a href="/handshakes/#the-three-segments">it</a> and <a href="https://www.rfc-editor.org/">RFC</a>.</p>\n',
    );
  });

  it('renders one paragraph inline, without the <p>', () => {
    expect(renderInline('A `SYN` takes one number.')).toBe('A <code>SYN</code> takes one number.');
  });
});

describe('anchors', () => {
  it('slugs question text for element ids', () => {
    expect(slugify('connect() returned success. Has the server accepted the connection?')).toBe(
      'connect-returned-success-has-the-server-accepted-the-connect',
    );
    expect(slugify('Why is `SO_LINGER` 0 <Observed lab="a/b" fact="c" /> bad?')).toBe(
      'why-is-so-linger-0-bad',
    );
  });

  it('names a lab card by its full id', () => {
    expect(labAnchor('handshakes/self-connect')).toBe('lab-handshakes-self-connect');
  });

  it('gives every glossary term a unique anchor and keeps the list alphabetical', () => {
    const ids = glossary.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    const terms = glossary.map((t) => t.term.toLowerCase());
    expect(terms).toEqual([...terms].sort((a, b) => a.localeCompare(b)));
  });
});
