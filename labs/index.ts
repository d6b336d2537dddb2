/**
 * Every lab, in reading order (see _lib/registry.ts for what makes a file a lab and how labs are
 * ordered). The CLI, the site and the tests all start from this list, so a lab that is not here
 * does not exist. Importing this module runs no lab.
 *
 * Two loaders, one registry: under Vite (the site and vitest) `import.meta.glob` bundles the lab
 * files at build time; plain Node (the CLI) reads the folders and imports what it finds. Both
 * read the chapter pages from disk: bundled code has no folder of its own to start from, so under
 * Vite the project root is the working directory (as for `astro build` and vitest).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chapters } from '../content/chapters.ts';
import { buildRegistry, LAB_FILE } from './_lib/registry.ts';
import type { Lab } from './_lib/types.ts';

const root = import.meta.env ? process.cwd() : join(import.meta.dirname, '..');
const modules = import.meta.env ? fromVite() : await fromDisk();
const pages = readPages(join(root, 'content'));

export const labs: Lab[] = buildRegistry(chapters, modules, pages);

/** The lab with this id (`chapter/lab`), or undefined. */
export function findLab(id: string): Lab | undefined {
  return labs.find((lab) => lab.id === id);
}

function fromVite() {
  const files = import.meta.glob<unknown>(['./*/*.ts', '!./_*/**', '!./*/_*.ts'], {
    eager: true,
    import: 'default',
  });
  return new Map(
    Object.entries(files)
      .map(([k, v]) => [k.slice('./'.length), v] as const)
      .filter(([k]) => LAB_FILE.test(k.split('/')[1]!)),
  );
}

async function fromDisk() {
  const labsDir = import.meta.dirname;
  const files = chapters.flatMap(({ slug }) =>
    existsSync(join(labsDir, slug))
      ? readdirSync(join(labsDir, slug))
          .filter((f) => LAB_FILE.test(f))
          .map((f) => `${slug}/${f}`)
      : [],
  );
  const loaded = await Promise.all(
    files.map(async (f) => (await import(pathToFileURL(join(labsDir, f)).href)).default),
  );
  return new Map(files.map((f, i) => [f, loaded[i]]));
}

/** Every chapter page's text, keyed by its path under content/ (`handshakes/index.mdx`). */
function readPages(contentDir: string): Map<string, string> {
  const files = readdirSync(contentDir, { recursive: true, encoding: 'utf8' });
  return new Map(
    files
      .filter((p) => p.endsWith('.mdx'))
      .map((p) => [p, readFileSync(join(contentDir, p), 'utf8')]),
  );
}
