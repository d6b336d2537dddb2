/**
 * Build-time helpers over the docs collection for the pages that gather content from chapters:
 * a page's URL, the chapter a page belongs to, and where a lab's card (its evidence) lives.
 */
import type { CollectionEntry } from 'astro:content';
import { chapters } from '../../content/chapters.ts';
import { findLab } from '../../labs/index.ts';
import type { Lab } from '../../labs/_lib/types.ts';

type Doc = CollectionEntry<'docs'>;

const base = () => import.meta.env.BASE_URL.replace(/\/$/, '');

/** The site URL of a docs entry: `handshakes/index` → `/handshakes/`, `index` → `/`. */
export function pageHref(entry: Pick<Doc, 'id'>): string {
  const path = entry.id.replace(/(^|\/)index$/, '');
  return `${base()}/${path}${path ? '/' : ''}`;
}

/** The element id of a lab's card on its chapter page: `handshakes/self-connect` → `lab-handshakes-self-connect`. */
export function labAnchor(labId: string): string {
  return `lab-${labId.replace('/', '-')}`;
}

/** Slug for an element id from free text: lower case, ASCII letters and digits, dashes. */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/<[^>]+>|`/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60)
    .replace(/-$/, '');
}

/** Written chapters as docs entries, in the reading order of content/chapters.ts. */
export function chapterEntries(docs: Doc[]): Array<{ slug: string; label: string; entry: Doc }> {
  return chapters.flatMap((c) => {
    const entry = docs.find((d) => d.id === c.slug || d.id === `${c.slug}/index`);
    return entry ? [{ ...c, entry }] : [];
  });
}

/** URL of a lab's card on the page that shows it, or undefined when no page shows it. */
export function labHref(lab: Pick<Lab, 'id' | 'page'>): string | undefined {
  return lab.page ? `${pageHref({ id: lab.page })}#${labAnchor(lab.id)}` : undefined;
}

/**
 * URL of the evidence a myth or answer names: a `#fragment` of its own page, or the card of a lab
 * on the page that shows it with `<LabCard>`. Throws when no page shows that lab.
 */
export function evidenceHref(ref: string, page: Pick<Doc, 'id'>, absolute: boolean): string {
  if (ref.startsWith('#')) return absolute ? `${pageHref(page)}${ref}` : ref;
  if (ref.startsWith('/')) return `${base()}${ref}`;
  const lab = findLab(ref);
  if (!lab?.page) {
    throw new Error(
      `content/${page.id}: evidence "${ref}" names ${lab ? 'a lab that no page shows' : 'no lab'}. ` +
        'Use a "#section-anchor" or the id of a lab shown by a <LabCard> on some page.',
    );
  }
  const href = `#${labAnchor(ref)}`;
  const samePage = pageHref({ id: lab.page }) === pageHref(page);
  return absolute || !samePage ? `${pageHref({ id: lab.page })}${href}` : href;
}

/** URL of a source file's page: `teardown/linger.c` → `/source/teardown/linger.c/`. */
export function sourceHref(path: string, line?: number): string {
  return `${base()}/source/${path}/${line ? `#L${line}` : ''}`;
}
