/**
 * Build-time helpers over the docs collection for the pages that gather content from chapters:
 * a page's URL, the chapter a page belongs to, and where a lab's card (its evidence) lives.
 */
import type { CollectionEntry } from 'astro:content';
import { chapters } from '../chapters.ts';

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

/** Written chapters as docs entries, in the reading order of src/chapters.ts. */
export function chapterEntries(docs: Doc[]): Array<{ slug: string; label: string; entry: Doc }> {
  return chapters.flatMap((c) => {
    const entry = docs.find((d) => d.id === c.slug || d.id === `${c.slug}/index`);
    return entry ? [{ ...c, entry }] : [];
  });
}

/**
 * URL of the evidence a myth or answer names: a `#fragment` of its own page, or the card of a lab
 * on the page whose frontmatter lists it. Throws when no page shows that lab.
 */
export function evidenceHref(
  ref: string,
  page: Pick<Doc, 'id'>,
  docs: Doc[],
  absolute: boolean,
): string {
  if (ref.startsWith('#')) return absolute ? `${pageHref(page)}${ref}` : ref;
  const shown = docs.find((d) => d.data.labs?.includes(ref));
  if (!shown) {
    throw new Error(
      `content/${page.id}: evidence "${ref}" names a lab that no chapter shows. ` +
        `Use a "#section-anchor" or a lab listed in some chapter's \`labs\` frontmatter.`,
    );
  }
  const href = `#${labAnchor(ref)}`;
  return absolute || shown.id !== page.id ? `${pageHref(shown)}${href}` : href;
}

/** URL of a probe's source page: `teardown/linger.c` → `/probes/teardown/linger.c/`. */
export function probeHref(path: string): string {
  return `${base()}/probes/${path}/`;
}
