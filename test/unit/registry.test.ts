import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chapters } from '../../content/chapters.ts';
import { labs } from '../../labs/index.ts';
import { buildRegistry, cardsOn, readingOrder } from '../../labs/_lib/registry.ts';
import { REPO_DIR } from '../../labs/_lib/recordings.ts';

const lab = (title: string) => ({
  title,
  verifies: 'v',
  probes: [],
  claims: [],
  run: async () => ({ facts: {} }),
});

describe('buildRegistry', () => {
  const chapterList = [
    { slug: 'a', label: 'A' },
    { slug: 'b', label: 'B' },
  ];
  const modules = new Map<string, unknown>([
    ['b/one.ts', lab('b1')],
    ['a/zeta.ts', lab('a-zeta')],
    ['a/alpha.ts', lab('a-alpha')],
    ['a/unshown.ts', lab('a-unshown')],
  ]);
  const pages = new Map([
    ['a/index.mdx', '<LabCard lab="a/zeta" />\n\ntext\n\n<LabCard lab="a/alpha" />'],
    ['b/index.mdx', '<LabCard lab="b/one" />'],
  ]);

  it('names each lab after its file and orders a chapter by its cards, unshown labs last', () => {
    const registry = buildRegistry(chapterList, modules, pages);
    expect(registry.map((l) => [l.id, l.source, l.page])).toEqual([
      ['a/zeta', 'a/zeta.ts', 'a/index'],
      ['a/alpha', 'a/alpha.ts', 'a/index'],
      ['a/unshown', 'a/unshown.ts', undefined],
      ['b/one', 'b/one.ts', 'b/index'],
    ]);
  });

  it('refuses a file whose default export is not a lab, naming it', () => {
    const bad = new Map<string, unknown>([['a/helper.ts', { notALab: true }]]);
    expect(() => buildRegistry(chapterList, bad, pages)).toThrow(
      /labs\/a\/helper\.ts is not a lab.*_scenario\.ts/,
    );
  });
});

describe('readingOrder', () => {
  it('puts the index first, then pages by sidebar order, then the rest by path', () => {
    const page = (order?: number) =>
      order === undefined
        ? '---\ntitle: x\n---\n'
        : `---\ntitle: x\nsidebar:\n  order: ${order}\n---\n`;
    expect(
      readingOrder([
        ['c/zeta.mdx', page()],
        ['c/beta.mdx', page(2)],
        ['c/alpha.mdx', page()],
        ['c/index.mdx', page(9)],
        ['c/gamma.mdx', page(1)],
      ]),
    ).toEqual(['c/index.mdx', 'c/gamma.mdx', 'c/beta.mdx', 'c/alpha.mdx', 'c/zeta.mdx']);
  });
});

describe('the book', () => {
  const pagesOf = (slug: string) => {
    const files = readdirSync(join(REPO_DIR, 'content', slug), {
      recursive: true,
      encoding: 'utf8',
    })
      .filter((f) => f.endsWith('.mdx'))
      .map(
        (f) => [f, readFileSync(join(REPO_DIR, 'content', slug, f), 'utf8')] as [string, string],
      );
    const text = new Map(files);
    return readingOrder(files).map((f) => text.get(f)!);
  };

  it.each(chapters.map((c) => [c.slug]))(
    "%s: its pages' <LabCard>s are exactly its lab files, in order",
    (slug) => {
      const cards = pagesOf(slug)
        .flatMap(cardsOn)
        .filter((id) => id.startsWith(`${slug}/`));
      const registered = labs.filter((l) => l.id.startsWith(`${slug}/`)).map((l) => l.id);
      expect(cards).toEqual(registered);
    },
  );

  it('shows no card for a lab that does not exist', () => {
    const all = chapters.flatMap((c) => pagesOf(c.slug).flatMap(cardsOn));
    const known = new Set(labs.map((l) => l.id));
    expect(all.filter((id) => !known.has(id))).toEqual([]);
  });

  it.each(labs.map((l) => [l.id, l]))('%s is the file labs/<chapter>/<name>.ts', (id, l) => {
    expect(`${id}.ts`).toBe(l.source);
    expect(readdirSync(join(REPO_DIR, 'labs', id.split('/')[0]!))).toContain(
      `${id.split('/')[1]}.ts`,
    );
  });
});
