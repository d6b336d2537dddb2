/**
 * Builds the lab registry from what is on disk, so that a new lab is two edits: its file and the
 * `<LabCard>` that shows it. A lab is `labs/<chapter>/<name>.ts` (a name not starting with `_`,
 * which marks helpers and probe scripts) whose default export is a `defineLab()`; its id is
 * `<chapter>/<name>`. Within a chapter, labs come in the order their cards appear on the
 * chapter's pages, read in the sidebar's order (see `readingOrder`), which is the order a reader
 * meets them.
 */
import type { Chapter } from '../../content/chapters.ts';
import type { Lab, LabDefinition } from './types.ts';

/** `<name>.ts` of a lab file: lower-case words and dashes; `_helpers.ts` are not labs. */
export const LAB_FILE = /^[a-z0-9][a-z0-9-]*\.ts$/;

/** `<LabCard lab="chapter/name" …/>` in MDX, in document order. */
const CARD = /<LabCard\s+[^>]*?\blab="([^"]+)"/g;

/** The lab ids a page shows with `<LabCard>`, in order. */
export function cardsOn(mdx: string): string[] {
  return [...mdx.matchAll(CARD)].map((m) => m[1]!);
}

/**
 * The registry: `modules` maps `chapter/name.ts` to that file's default export, `pages` maps a
 * page's path under content/ (`handshakes/index.mdx`) to its text. Throws, naming the file, when
 * a lab file's default export is not a lab.
 */
export function buildRegistry(
  chapters: Chapter[],
  modules: Map<string, unknown>,
  pages: Map<string, string>,
): Lab[] {
  return chapters.flatMap(({ slug }) => {
    const chapterPages = readingOrder(
      [...pages.entries()].filter(([p]) => p.startsWith(`${slug}/`)),
    );
    const shownOn = new Map<string, { page: string; at: number }>();
    let at = 0;
    for (const page of chapterPages) {
      for (const id of cardsOn(pages.get(page)!)) {
        if (!shownOn.has(id)) shownOn.set(id, { page: page.replace(/\.mdx?$/, ''), at: at++ });
      }
    }
    const labs = [...modules.entries()]
      .filter(([file]) => file.startsWith(`${slug}/`))
      .map(([file, def]): Lab => {
        const id = file.replace(/\.ts$/, '');
        if (!isLab(def)) {
          throw new Error(
            `labs/${file} is not a lab: its default export is not a defineLab({...}). ` +
              'Name helpers and probe scripts with a leading underscore (_scenario.ts).',
          );
        }
        const page = shownOn.get(id)?.page;
        return { ...def, id, source: file, ...(page ? { page } : {}) };
      });
    const order = (lab: Lab) => shownOn.get(lab.id)?.at ?? Number.MAX_SAFE_INTEGER;
    return labs.sort((a, b) => order(a) - order(b) || a.id.localeCompare(b.id));
  });
}

/**
 * A chapter's pages in the order Starlight's sidebar lists them: the index first, then by the
 * frontmatter's `sidebar: order:` (pages without one after those with one), then by path.
 */
export function readingOrder(pages: Array<[path: string, text: string]>): string[] {
  const order = ([path, text]: [string, string]) => {
    if (/(^|\/)index\.mdx?$/.test(path)) return -Infinity;
    const m = /^---[\s\S]*?^sidebar:\s*\n(?:[ \t]+.*\n)*?[ \t]+order:\s*(-?\d+)/m.exec(text);
    return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
  };
  return [...pages]
    .sort((a, b) => order(a) - order(b) || a[0].localeCompare(b[0]))
    .map(([path]) => path);
}

function isLab(value: unknown): value is LabDefinition {
  const v = value as Partial<LabDefinition> | undefined;
  return typeof v?.run === 'function' && Array.isArray(v.claims) && typeof v.title === 'string';
}
