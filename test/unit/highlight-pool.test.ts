/**
 * The source pages' highlighting split between a worker and the main thread gives each file the
 * same HTML as highlighting it directly, whichever side did it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { highlightInOrder, type SourceFile } from '../../src/lib/highlight-pool.ts';
import { highlightWithLineAnchors } from '../../src/lib/highlight.ts';

const files: SourceFile[] = [
  'labs/handshakes/three-way-handshake.ts',
  'labs/probes/tcp-server.c',
  'labs/probes/checksum.h',
  'labs/_lib/claims.ts',
].map((path) => ({
  path,
  code: readFileSync(path, 'utf8'),
  lang: path.endsWith('.ts') ? 'ts' : 'c',
}));

it('gives every file, worker-made or not, the HTML of highlighting it directly', async () => {
  for (const file of files) {
    expect(await highlightInOrder(files, file)).toBe(
      await highlightWithLineAnchors(file.code, file.lang),
    );
  }
});

it('runs its worker under Node as it is, posting each file it is given in order', async () => {
  const worker = new Worker(join(process.cwd(), 'src/lib/highlight-worker.ts'), {
    workerData: { files },
  });
  const posted: string[] = [];
  await new Promise<void>((resolve, reject) => {
    worker.on('message', ({ path, html }: { path: string; html: string }) => {
      expect(html).toMatch(/^<pre class="hl"/);
      posted.push(path);
    });
    worker.on('error', reject);
    worker.on('exit', () => resolve());
  });
  expect(posted).toEqual(files.map((f) => f.path));
});
