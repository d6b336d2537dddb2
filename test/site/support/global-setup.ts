/**
 * Once per `vitest run` of the site project: build the real site into a temporary directory and
 * serve it on 127.0.0.1. Test files get the URL and directory through `inject('site')`. Without
 * chromium the build is skipped and `skip` says why; with CI=true a missing browser is an error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { missingBrowserReason } from './chromium.ts';
import { serve } from './server.ts';

/** What the site tests receive from this setup. */
export interface SiteContext {
  url: string;
  dir: string;
  buildMs: number;
  skip?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    site: SiteContext;
  }
}

export default async function setup(project: TestProject) {
  const missing = missingBrowserReason();
  if (missing) {
    if (process.env.CI === 'true')
      throw new Error(`Site tests need a browser in CI: ${missing}. .ci/run installs it.`);
    project.provide('site', { url: '', dir: '', buildMs: 0, skip: missing });
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'site-test-'));
  const started = performance.now();
  // Vitest sets NODE_ENV=test, which makes Astro build dev-mode pages (Starlight then renders no
  // search index UI): build exactly as `npm run build` does.
  const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };
  const build = spawnSync('node_modules/.bin/astro', ['build', '--outDir', dir], {
    encoding: 'utf8',
    env,
  });
  const buildMs = performance.now() - started;
  if (build.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const output = `${build.stdout}\n${build.stderr}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`astro build failed (exit ${build.status}); the last lines:\n${output}`);
  }
  const { url, server } = await serve(dir);
  project.provide('site', { url, dir, buildMs });
  return async () => {
    await new Promise((ok) => server.close(ok));
    rmSync(dir, { recursive: true, force: true });
  };
}
