/**
 * Lab cards in the table of contents. Starlight builds "On this page" from the MDX headings only,
 * so a tall lab card (whose title is an h3 inside the component) was invisible to the TOC and its
 * scroll spy kept highlighting the section above for the whole card. Each card's title is added
 * as a child of the section it sits in, at its place among that section's own h3 headings.
 */

/** Starlight's TOC entry (its `TocItem`). */
export interface TocEntry {
  depth: number;
  slug: string;
  text: string;
  children: TocEntry[];
}

type Token = { kind: 'heading'; depth: number } | { kind: 'card'; lab: string };

/** The MDX body's `##`/`###` headings and `<LabCard lab="…">` tags in order (code fences skipped). */
export function headingsAndCards(mdx: string): Token[] {
  const tokens: Token[] = [];
  let fenced = false;
  for (const line of mdx.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const heading = /^(#{2,3})\s+\S/.exec(line);
    if (heading) tokens.push({ kind: 'heading', depth: heading[1]!.length });
    for (const m of line.matchAll(/<LabCard\s+[^>]*?\blab="([^"]+)"/g))
      tokens.push({ kind: 'card', lab: m[1]! });
  }
  return tokens;
}

/**
 * The TOC with an entry for each lab card, inserted in place. `entry` names a card's title and
 * anchor (undefined: leave the card out). Items are changed in place and returned.
 */
export function withLabCards(
  items: TocEntry[],
  mdx: string,
  entry: (lab: string) => { slug: string; text: string } | undefined,
): TocEntry[] {
  // The page title entry (depth 2) holds whatever comes before the first h2.
  let section = items[0];
  if (!section) return items;
  let at = 0;
  let top = 1;
  for (const token of headingsAndCards(mdx)) {
    if (token.kind === 'heading' && token.depth === 2) {
      section = items[top++] ?? section;
      at = 0;
    } else if (token.kind === 'heading') {
      // Cards inserted so far sit before `at`; the next h3 of this section is at `at`.
      at = Math.min(at + 1, section.children.length);
    } else {
      const card = entry(token.lab);
      if (!card || items.some((i) => contains(i, card.slug))) continue;
      section.children.splice(at++, 0, { depth: section.depth + 1, ...card, children: [] });
    }
  }
  return items;
}

function contains(item: TocEntry, slug: string): boolean {
  return item.slug === slug || item.children.some((c) => contains(c, slug));
}
