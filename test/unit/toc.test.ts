import { describe, expect, it } from 'vitest';
import { withLabCards, type TocEntry } from '../../src/lib/toc.ts';

const item = (depth: number, slug: string, children: TocEntry[] = []): TocEntry => ({
  depth,
  slug,
  text: slug,
  children,
});
const slugs = (items: TocEntry[]): unknown[] =>
  items.map((i) => (i.children.length ? [i.slug, slugs(i.children)] : i.slug));

describe('withLabCards', () => {
  const mdx = `Intro.

<LabCard lab="c/intro" />

## One

\`\`\`
## not a heading
<LabCard lab="c/in-a-fence" />
\`\`\`

<LabCard lab="c/first" />

### Sub

<LabCard lab="c/second" />

## Two

### Two sub

Text <LabCard lab="c/third" /> and <LabCard lab="c/fourth" />
`;
  const toc = () => [
    item(2, '_top'),
    item(2, 'one', [item(3, 'sub')]),
    item(2, 'two', [item(3, 'two-sub')]),
  ];
  const entry = (id: string) => ({ slug: `lab-${id.replace('/', '-')}`, text: id });

  it('puts each card under its section, at its place among the h3 headings', () => {
    expect(slugs(withLabCards(toc(), mdx, entry))).toEqual([
      ['_top', ['lab-c-intro']],
      ['one', ['lab-c-first', 'sub', 'lab-c-second']],
      ['two', ['two-sub', 'lab-c-third', 'lab-c-fourth']],
    ]);
  });

  it('leaves out cards it has no entry for and does not add a card twice', () => {
    const once = withLabCards(toc(), mdx, (id) => (id === 'c/first' ? entry(id) : undefined));
    expect(
      slugs(withLabCards(once, mdx, (id) => (id === 'c/first' ? entry(id) : undefined))),
    ).toEqual(['_top', ['one', ['lab-c-first', 'sub']], ['two', ['two-sub']]]);
  });
});
