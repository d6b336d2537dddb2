/**
 * Budgets, measured and printed (not asserted): `npm run budgets [-- --synthetic 100,500]`.
 *
 * `--runs N` (default 3) builds each synthetic and bare pair N times, alternately, for medians.
 *
 * 1. Builds the real site (as `npm run build` does) and times it.
 * 2. For every page: JavaScript it loads up front (its <script> tags plus every module those
 *    import statically), and its total transfer (HTML, stylesheets, up-front JS, images, icon),
 *    raw and gzipped. Search code that loads only when the search dialog opens (dynamic imports
 *    and /pagefind/) is counted once, separately.
 * 3. Builds a copy of the project with N generated chapters added (each with a lab card, two
 *    interview questions and a sidebar entry) and times it, to show how cost grows with content.
 * 4. Builds a bare Starlight site (same Astro and Starlight versions, no component of ours) with
 *    as many pages of the same generated prose, code block included, and prints both build times
 *    and their ratio, measured in the same run; and the bare site's up-front JavaScript on a page,
 *    to compare with a chapter's. Targets: within 1.25x of bare Starlight; chapter JS no more than
 *    bare Starlight's; chapter HTML under 250 KB.
 *
 * The copy lives under node_modules/.cache so that it finds node_modules by walking up: a
 * symlinked node_modules makes Vite see the same files under two paths and the build fails.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const root = process.cwd();
const { values } = parseArgs({
  options: {
    synthetic: { type: 'string', default: '500' },
    // One build pair is at the mercy of a noisy machine (one ratio moved 1.35x to 1.49x between
    // runs): build the pair several times, alternately, and quote the median ratio.
    runs: { type: 'string', default: '3' },
  },
});
const syntheticCounts = values.synthetic
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
  console.error(`budgets: --runs must be a whole number from 1 to 20, not "${values.runs}"`);
  process.exit(2);
}
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Builds the project at `cwd` into `outDir`; returns seconds, or throws with the build's last lines. */
function build(cwd: string, outDir: string): number {
  const started = performance.now();
  const r = spawnSync(join(root, 'node_modules/.bin/astro'), ['build', '--outDir', outDir], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(
      `astro build failed in ${cwd}:\n${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-25).join('\n')}`,
    );
  return (performance.now() - started) / 1000;
}

const size = (file: string) => statSync(file).size;
const gz = (file: string) => gzipSync(readFileSync(file)).length;

/** Site path (`/_astro/x.js`) → file in `dist`. */
const fileOf = (dist: string, href: string) =>
  join(dist, decodeURIComponent(href.split(/[?#]/)[0]!));

/** Every module a JS file imports statically, itself included; dynamic `import()` is left out. */
function staticGraph(dist: string, href: string, seen = new Set<string>()): Set<string> {
  if (seen.has(href) || !existsSync(fileOf(dist, href))) return seen;
  seen.add(href);
  const code = readFileSync(fileOf(dist, href), 'utf8');
  for (const m of code.matchAll(
    /(?:^|[;\n}])\s*import\s*(?:[\w$*{}\s,]+from\s*)?["']([^"']+)["']/g,
  )) {
    staticGraph(dist, posix.join(posix.dirname(href), m[1]!), seen);
  }
  return seen;
}

/** Every module reached through a dynamic `import("...")` from `files` (on-demand code). */
function dynamicImports(dist: string, files: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const href of files) {
    const code = readFileSync(fileOf(dist, href), 'utf8');
    for (const m of code.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g))
      staticGraph(dist, posix.join(posix.dirname(href), m[1]!), out);
  }
  return out;
}

interface PageBudget {
  path: string;
  /** Up-front JS by source: each module file, and `inline` for scripts in the HTML. */
  jsBreakdown: Array<[string, number]>;
  jsFiles: number;
  jsInline: number;
  jsBytes: number;
  jsGz: number;
  htmlBytes: number;
  totalBytes: number;
  totalGz: number;
}

/** Up-front JS and total transfer of every page of the built site in `dist`. */
function measurePages(dist: string): {
  pages: PageBudget[];
  onDemand: { bytes: number; gz: number };
} {
  const pages: PageBudget[] = [];
  const allModules = new Set<string>();
  const htmlFiles = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.html') && f !== '404.html',
  );
  for (const f of htmlFiles) {
    const html = readFileSync(join(dist, f), 'utf8');
    const modules = new Set<string>();
    for (const m of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g))
      staticGraph(dist, m[1]!, modules);
    // Inline module scripts import chunks too (Astro inlines small entry scripts).
    let jsInline = 0;
    for (const m of html.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)) {
      if (/type="application\/(ld\+)?json"/.test(m[0])) continue;
      jsInline += Buffer.byteLength(m[1]!);
      for (const i of m[1]!.matchAll(/import\s*(?:[\w$*{}\s,]+from\s*)?["']([^"']+)["']/g))
        staticGraph(dist, i[1]!, modules);
    }
    const styles = [
      ...html.matchAll(
        /<link\b[^>]*rel="stylesheet"[^>]*href="([^"]+)"|<link\b[^>]*href="([^"]+)"[^>]*rel="stylesheet"/g,
      ),
    ].map((m) => m[1] ?? m[2]!);
    const images = [
      ...html.matchAll(
        /<img\b[^>]*\bsrc="(\/[^"]+)"|<link\b[^>]*rel="(?:shortcut )?icon"[^>]*href="(\/[^"]+)"/g,
      ),
    ].map((m) => m[1] ?? m[2]!);
    const assets = [...styles, ...images].filter((h) => existsSync(fileOf(dist, h)));
    for (const m of modules) allModules.add(m);
    const jsBytes = [...modules].reduce((n, h) => n + size(fileOf(dist, h)), 0) + jsInline;
    const jsGz =
      [...modules].reduce((n, h) => n + gz(fileOf(dist, h)), 0) +
      (jsInline ? gzipSync(Buffer.from('x'.repeat(jsInline))).length : 0);
    const htmlFile = join(dist, f);
    pages.push({
      path: `/${f.replace(/index\.html$/, '')}`,
      jsBreakdown: [
        ...[...modules].map((h): [string, number] => [h, size(fileOf(dist, h))]),
        ['inline <script> in the HTML', jsInline],
      ],
      jsFiles: modules.size,
      jsInline,
      jsBytes,
      jsGz,
      htmlBytes: size(htmlFile),
      totalBytes: size(htmlFile) + assets.reduce((n, h) => n + size(fileOf(dist, h)), 0) + jsBytes,
      totalGz: gz(htmlFile) + assets.reduce((n, h) => n + gz(fileOf(dist, h)), 0) + jsGz,
    });
  }
  // On demand: what the search dialog pulls in (dynamic imports, then Pagefind's loader, wasm and metadata).
  const lazy = dynamicImports(dist, allModules);
  const pf = join(dist, 'pagefind');
  const pagefindFirst = existsSync(pf)
    ? readdirSync(pf)
        .filter((f) =>
          /^(pagefind\.js|pagefind-ui\.js|pagefind-entry\.json|wasm\..*|.*\.pf_meta)$/.test(f),
        )
        .map((f) => `/pagefind/${f}`)
    : [];
  const onDemand = [...lazy, ...pagefindFirst];
  return {
    pages: pages.sort((a, b) => a.path.localeCompare(b.path)),
    onDemand: {
      bytes: onDemand.reduce((n, h) => n + size(fileOf(dist, h)), 0),
      gz: onDemand.reduce((n, h) => n + gz(fileOf(dist, h)), 0),
    },
  };
}

/** The prose of a generated page, shared by our synthetic chapters and the bare Starlight site. */
const PROSE_BEFORE = `${'A paragraph of prose about sockets, segments and the kernel, long enough to be indexed by search. '.repeat(12)}

\`\`\`sh
ss -tni state established '( dport = :5000 )'
\`\`\``;
const PROSE_AFTER = `## More prose

${'Another paragraph that stands for the explanation around a lab card in a real chapter. '.repeat(10)}`;

/**
 * A bare Starlight project (this project's Astro and Starlight, nothing of ours) with `n` pages
 * of the same generated prose, in the default layout (src/content/docs), sidebar autogenerated.
 */
function bareStarlight(n: number): string {
  const dir = mkdtempSync(join(root, 'node_modules/.cache', 'budget-bare-'));
  // Astro finds the component packages to compile (not externalise) through the dependencies
  // the project declares; without Starlight listed, its virtual modules reach Node and fail.
  const deps = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies;
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'bare',
      type: 'module',
      private: true,
      dependencies: { astro: deps.astro, '@astrojs/starlight': deps['@astrojs/starlight'] },
    }),
  );
  writeFileSync(
    join(dir, 'astro.config.mjs'),
    `import { defineConfig } from 'astro/config';
import starlight from '@astrojs/starlight';
export default defineConfig({
  integrations: [starlight({ title: 'Bare', sidebar: [{ label: 'Pages', items: [{ autogenerate: { directory: 'p' } }] }] })],
});
`,
  );
  mkdirSync(join(dir, 'src/content/docs/p'), { recursive: true });
  writeFileSync(
    join(dir, 'src/content.config.ts'),
    `import { defineCollection } from 'astro:content';
import { docsLoader } from '@astrojs/starlight/loaders';
import { docsSchema } from '@astrojs/starlight/schema';
export const collections = { docs: defineCollection({ loader: docsLoader(), schema: docsSchema() }) };
`,
  );
  writeFileSync(join(dir, 'src/content/docs/index.mdx'), '---\ntitle: Bare\n---\n\nHome.\n');
  for (let i = 1; i <= n; i++) {
    writeFileSync(
      join(dir, 'src/content/docs/p', `page-${String(i).padStart(4, '0')}.mdx`),
      `---\ntitle: Page ${i}\ndescription: A generated page.\n---\n\n${PROSE_BEFORE}\n\n## The lab\n\nA paragraph where the lab card would be.\n\n${PROSE_AFTER}\n`,
    );
  }
  return dir;
}

/** A copy of the project with `n` generated chapters, each a page with a lab card and questions. */
function syntheticProject(n: number): string {
  const cache = join(root, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'budget-site-'));
  for (const entry of [
    'package.json',
    'astro.config.mjs',
    'tsconfig.json',
    'src',
    'content',
    'labs',
  ]) {
    cpSync(join(root, entry), join(dir, entry), { recursive: true });
  }
  const slugs = Array.from({ length: n }, (_, i) => `synthetic-${String(i + 1).padStart(3, '0')}`);
  for (const [i, slug] of slugs.entries()) {
    mkdirSync(join(dir, 'content', slug));
    writeFileSync(
      join(dir, 'content', slug, 'index.mdx'),
      `---
title: Synthetic chapter ${i + 1}
description: A generated chapter for measuring how build cost grows with content.
questions:
  - q: What does synthetic chapter ${i + 1} measure?
    a: The build cost of one more chapter with a lab card ([evidence](#lab-handshakes-three-way-handshake)).
  - q: Why does it reuse a recorded lab?
    a: So that every page renders a real packet ladder, like a written chapter ([the card](#lab-handshakes-three-way-handshake)).
---

import LabCard from '../../src/components/LabCard.astro';

${PROSE_BEFORE}

## The lab

<LabCard lab="handshakes/three-way-handshake" />

${PROSE_AFTER}
`,
    );
  }
  // The generated chapters join the reading order, so the sidebar grows as it would for real.
  writeFileSync(
    join(dir, 'content/chapters.ts'),
    `${readFileSync(join(dir, 'content/chapters.ts'), 'utf8')}\nchapters.push(...${JSON.stringify(slugs.map((slug, i) => ({ slug, label: `Synthetic ${i + 1}` })))});\n`,
  );
  return dir;
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
const table = (head: string[], rows: string[][]) => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(head),
    `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
};

const out = mkdtempSync(join(tmpdir(), 'budget-real-'));
try {
  const seconds = build(root, out);
  const { pages, onDemand } = measurePages(out);
  const chapterPaths = new Set(
    readdirSync(join(root, 'content'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `/${d.name}/`),
  );
  const shown = pages.filter((p) => !p.path.startsWith('/source/'));
  const probes = pages.filter((p) => p.path.startsWith('/source/'));
  console.log(`\nReal site: ${pages.length} pages built in ${seconds.toFixed(1)} s\n`);
  console.log(
    table(
      ['page', 'kind', 'JS up front', 'JS gzip', 'JS files', 'HTML', 'total', 'total gzip'],
      shown.map((p) => [
        p.path,
        chapterPaths.has(p.path) ? 'chapter' : 'page',
        kb(p.jsBytes),
        kb(p.jsGz),
        String(p.jsFiles),
        kb(p.htmlBytes),
        kb(p.totalBytes),
        kb(p.totalGz),
      ]),
    ),
  );
  const sample = shown.find((p) => chapterPaths.has(p.path));
  if (sample) {
    console.log(
      `\nUp-front JavaScript of ${sample.path}, by file (every chapter page ships the same set):`,
    );
    for (const [file, bytes] of sample.jsBreakdown.sort((a, b) => b[1] - a[1]))
      console.log(`  ${kb(bytes).padStart(10)}  ${file}`);
  }
  if (probes.length) {
    const max = probes.reduce((a, b) => (b.totalBytes > a.totalBytes ? b : a));
    console.log(
      `\n${probes.length} source pages: largest ${max.path} at ${kb(max.totalBytes)} (${kb(max.totalGz)} gzip).`,
    );
  }
  console.log(
    `Search, loaded only when the search dialog opens: ${kb(onDemand.bytes)} (${kb(onDemand.gz)} gzip), plus the index fragments a query needs.`,
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}

const rows: string[][] = [];
for (const n of syntheticCounts) {
  const dir = syntheticProject(n);
  try {
    const times: number[] = [];
    const bareTimes: number[] = [];
    let pageCount = 0;
    let bare: string | undefined;
    let bareJs = 0;
    try {
      for (let run = 1; run <= runs; run++) {
        console.error(`synthetic ${n}: build pair ${run} of ${runs}`);
        times.push(build(dir, join(dir, 'dist')));
        pageCount = readdirSync(join(dir, 'dist'), { recursive: true, encoding: 'utf8' }).filter(
          (f) => f.endsWith('index.html'),
        ).length;
        bare ??= bareStarlight(pageCount - 1);
        bareTimes.push(build(bare, join(bare, 'dist')));
      }
      const page = measurePages(join(bare!, 'dist')).pages.find((p) => p.path === '/p/page-0001/');
      bareJs = page?.jsBytes ?? 0;
    } finally {
      if (bare) rmSync(bare, { recursive: true, force: true });
    }
    const sample = join(dir, 'dist', 'synthetic-001', 'index.html');
    const generated = measurePages(join(dir, 'dist')).pages.find(
      (p) => p.path === '/synthetic-001/',
    );
    const ratios = times.map((t, i) => t / bareTimes[i]!);
    rows.push([
      String(n),
      String(pageCount),
      `${median(times).toFixed(1)} s`,
      `${median(bareTimes).toFixed(1)} s`,
      `${median(ratios).toFixed(2)}x`,
      runs > 1 ? `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}x` : '—',
      existsSync(sample) ? kb(size(sample)) : '—',
      generated ? kb(generated.jsBytes) : '—',
      kb(bareJs),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (rows.length) {
  console.log(
    `\nSynthetic sites: the real project plus N generated chapters (lab card, questions, sidebar entry each),\nagainst a bare Starlight site with as many pages of the same prose, built alternately in the same run\n(${runs} pair${runs > 1 ? 's' : ''}; times and ratio are medians, the ratio pair by pair)\n`,
  );
  console.log(
    table(
      [
        'N chapters added',
        'pages',
        'build time',
        'bare Starlight',
        'ratio',
        'ratio range',
        'HTML of one generated chapter',
        'its JS up front',
        'bare page JS up front',
      ],
      rows,
    ),
  );
}
