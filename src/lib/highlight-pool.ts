/**
 * The source pages' highlighting, on both cores. Tokenizing is most of a source page's cost and
 * the build renders pages on one thread, so the other core sat idle: the first source page hands
 * two of every three files to a worker, which highlights them in the order the pages render; the
 * main thread highlights the third itself as it renders (it also renders every page, so an even
 * split would leave it waiting less but the worker idle). Measured: the main thread waited 1.45 s
 * for a worker given every file.
 *
 * The worker runs src/lib/highlight-worker.ts from the project root with Node's own TypeScript
 * support; if it cannot start or fails, the files it did not finish are highlighted in-thread. It
 * stays referenced until it has posted every file: a page waiting on it must keep Node running.
 * For builds only: a dev server asked for one page would make it wait behind the files before it.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { highlightWithLineAnchors } from './highlight.ts';

export interface SourceFile {
  path: string;
  code: string;
  lang: 'ts' | 'c';
}

const toWorker = (index: number) => index % 3 !== 2;

let fromWorker: Map<string, Promise<string>> | undefined;

/** Starts highlighting `files` (first call only) and returns the HTML of `file`, one of them. */
export function highlightInOrder(files: SourceFile[], file: SourceFile): Promise<string> {
  fromWorker ??= start(files);
  return fromWorker.get(file.path) ?? highlightWithLineAnchors(file.code, file.lang);
}

function start(files: SourceFile[]): Map<string, Promise<string>> {
  const handed = files.filter((_, i) => toWorker(i));
  const settle = new Map<string, (html: string | undefined) => void>();
  const results = new Map(
    handed.map((file) => [
      file.path,
      new Promise<string | undefined>((resolve) => settle.set(file.path, resolve)).then(
        // undefined: the worker stopped before this file.
        (html) => html ?? highlightWithLineAnchors(file.code, file.lang),
      ),
    ]),
  );
  const giveUp = () => {
    for (const resolve of settle.values()) resolve(undefined);
    settle.clear();
  };
  try {
    const worker = new Worker(join(process.cwd(), 'src/lib/highlight-worker.ts'), {
      workerData: { files: handed },
    });
    worker.on('message', ({ path, html }: { path: string; html: string }) => {
      settle.get(path)?.(html);
      settle.delete(path);
    });
    worker.on('error', giveUp);
    worker.on('exit', giveUp);
  } catch {
    giveUp();
  }
  return results;
}
