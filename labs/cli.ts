/**
 * `npm run lab -- <command>`: the entry point (see `--help`, labs/README.md and _lib/command.ts).
 *
 * Its one job before loading the command: turn on Node's compile cache. Every lab run starts Node
 * twice (the launcher, then the run inside the sandbox), and each start strips and compiles some
 * eighty TypeScript modules; with the cache a start costs about half. Setting the variable (not
 * only the API) passes the cache on to the sandboxed run and to Node probe scripts.
 */
import { enableCompileCache } from 'node:module';
import { cacheDir } from './_lib/cache.ts';

if (!process.env.NODE_COMPILE_CACHE) {
  try {
    process.env.NODE_COMPILE_CACHE = cacheDir('node');
    enableCompileCache(process.env.NODE_COMPILE_CACHE);
  } catch {
    // No writable cache anywhere: run uncached, only slower.
    delete process.env.NODE_COMPILE_CACHE;
  }
}
const [{ labs }, { main }] = await Promise.all([import('./index.ts'), import('./_lib/command.ts')]);
await main(process.argv.slice(2), labs);
