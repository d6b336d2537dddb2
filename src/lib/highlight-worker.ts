/**
 * Worker thread of highlight-pool.ts: highlights the files it is given, in order, and posts each
 * page's HTML as soon as it is ready. Runs under Node's own TypeScript support (no bundler).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { highlightWithLineAnchors } from './highlight.ts';
import type { SourceFile } from './highlight-pool.ts';

for (const file of (workerData as { files: SourceFile[] }).files) {
  parentPort!.postMessage({
    path: file.path,
    html: await highlightWithLineAnchors(file.code, file.lang),
  });
}
