/**
 * Every lab, in reading order (see _lib/registry.ts for what makes a file a lab and how labs are
 * ordered). The CLI, the site and the tests all start from this list, so a lab that is not here
 * does not exist. Importing this module runs no lab.
 *
 * Two loaders, one registry: under Vite (the site and vitest) `import.meta.glob` bundles the
 * files at build time; plain Node (the CLI) reads the folders and imports what it finds.
 */
import { chapters } from '../content/chapters.ts';
import { buildRegistry } from './_lib/registry.ts';
import type { Lab } from './_lib/types.ts';

const { modules, pages } = import.meta.env ? fromVite() : await fromDisk();

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
  const mdx = import.meta.glob<string>('../content/**/*.mdx', {
    eager: true,
    query: '?raw',
    import: 'default',
  });
  return {
    modules: new Map(Object.entries(files).map(([k, v]) => [k.slice('./'.length), v])),
    pages: new Map(Object.entries(mdx).map(([k, v]) => [k.slice('../content/'.length), v])),
  };
}

async function fromDisk() {
  const { existsSync, readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const { LAB_FILE } = await import('./_lib/registry.ts');
  const labsDir = import.meta.dirname;
  const contentDir = join(labsDir, '..', 'content');
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
  const pages = readdirSync(contentDir, { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith('.mdx'))
    .map((p) => [p, readFileSync(join(contentDir, p), 'utf8')] as const);
  return { modules: new Map(files.map((f, i) => [f, loaded[i]])), pages: new Map(pages) };
}
