/**
 * Where a lab's committed recording lives, and reading and writing it: the one place that knows
 * `labs/<chapter>/recorded/<name>.json` (the LabRun) and `.pcap` (the capture it decodes from).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabRun } from './types.ts';

/** The repository root (two levels above this file). */
export const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `labs/<chapter>/recorded/<name>.<ext>` for a lab id, relative to the repository root. */
export function recordingPath(id: string, ext: 'json' | 'pcap'): string {
  const [chapter, name] = id.split('/');
  return `labs/${chapter}/recorded/${name}.${ext}`;
}

/** The committed recording of a lab, or undefined when there is none. */
export function readRecording(id: string, root: string = REPO_DIR): LabRun | undefined {
  const file = join(root, recordingPath(id, 'json'));
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LabRun) : undefined;
}

/** Writes a run and its capture (when it has one) where the site and the tests read them. */
export function writeRecording(run: LabRun, pcap: Buffer | undefined, root: string = REPO_DIR) {
  const json = join(root, recordingPath(run.id, 'json'));
  mkdirSync(dirname(json), { recursive: true });
  writeFileSync(json, `${JSON.stringify(run, null, 1)}\n`);
  if (pcap) writeFileSync(join(root, recordingPath(run.id, 'pcap')), pcap);
}
