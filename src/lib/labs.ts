/**
 * Build-time access to labs, their recordings and their source files for the components. Every
 * lookup either returns what was asked for or throws an error naming the allowed values, so a
 * typo in a page's props fails the build instead of rendering an empty card.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { getCollection, getEntry } from 'astro:content';
import { findLab, labs } from '../../labs/index.ts';
import { recordingPath } from '../../labs/_lib/recordings.ts';
import type { Lab, LabRun } from '../../labs/_lib/types.ts';

/** The registered lab with this id; throws listing the known ids. */
export function requireLab(id: string): Lab {
  const lab = findLab(id);
  if (!lab) {
    const known = labs.map((l) => l.id).join(', ') || '(none: no lab files under labs/)';
    throw new Error(`Unknown lab "${id}". Known lab ids: ${known}`);
  }
  return lab;
}

/** The committed recording of a registered lab; throws if the lab or its recording is missing. */
export async function requireRecording(id: string): Promise<LabRun> {
  requireLab(id);
  const entry = await getEntry('recorded', id);
  if (!entry) {
    throw new Error(
      `Lab "${id}" has no recording: expected ${recordingPath(id, 'json')}. ` +
        `Record it on Linux with \`npm run labs:record -- ${id}\` and commit the .json and .pcap.`,
    );
  }
  if (entry.data.id !== id) {
    throw new Error(`${recordingPath(id, 'json')} records lab "${entry.data.id}", not "${id}".`);
  }
  return entry.data as LabRun;
}

/** Ids of all committed recordings that have a .pcap beside them. */
export async function recordedPcaps(): Promise<string[]> {
  const entries = await getCollection('recorded');
  return entries.map((e) => e.id).filter((id) => existsSync(pcapFile(id)));
}

/** Absolute path of a lab's recorded capture (the build runs from the project root). */
export function pcapFile(id: string): string {
  return resolve(recordingPath(id, 'pcap'));
}

/** Site URL of a lab's recorded capture; throws if the .pcap is not committed. */
export function pcapHref(id: string): string {
  if (!existsSync(pcapFile(id))) {
    throw new Error(
      `Lab "${id}" has no capture: expected ${recordingPath(id, 'pcap')} next to its .json.`,
    );
  }
  return `${import.meta.env.BASE_URL.replace(/\/$/, '')}/recorded/${id}.pcap`;
}

// Keys look like `../../labs/handshakes/tcp-client.c`; sources are named relative to labs/.
const files = import.meta.glob<string>(
  ['../../labs/**/*.{c,h,ts}', '!../../labs/*/recorded/**', '!../../labs/_lib/vm/**'],
  { query: '?raw', import: 'default', eager: true },
);
const sources = new Map(
  Object.entries(files).map(([k, src]) => [k.replace(/^\.\.\/\.\.\/labs\//, ''), src]),
);

/** Text of a file named relative to labs/ (`probes/common.h`); throws listing the known files. */
export function sourceText(path: string): string {
  const src = sources.get(path);
  if (src === undefined) {
    throw new Error(
      `Unknown source "${path}". Files under labs/: ${[...sources.keys()].join(', ')}`,
    );
  }
  return src;
}

/**
 * The files a lab file or probe refers to, relative to labs/: a C file's `#include "..."` (beside
 * it, else in labs/probes, as the compiler's -I finds them) and a TypeScript file's relative
 * imports.
 */
export function referencedFiles(path: string): string[] {
  let found = referenced.get(path);
  if (!found) referenced.set(path, (found = scanReferences(path)));
  return found;
}

// Every source page asks for every file's references (its "referred by" list): scan each once.
const referenced = new Map<string, string[]>();

function scanReferences(path: string): string[] {
  const text = sourceText(path);
  const dir = path.split('/').slice(0, -1);
  const join = (rel: string) => {
    const parts = [...dir];
    for (const seg of rel.split('/')) {
      if (seg === '..') parts.pop();
      else if (seg !== '.') parts.push(seg);
    }
    return parts.join('/');
  };
  if (path.endsWith('.ts')) {
    const imported = [
      ...text.matchAll(/^(?:import|export)\b[^;]*?from\s+'(\.{1,2}\/[^']+\.ts)'/gms),
    ].map((m) => join(m[1]!));
    // A Node probe a lab starts is named as a path string (`'zeromq/_zmq-probe.ts'`).
    const named = [...text.matchAll(/'([\w-]+\/[\w.-]+\.(?:ts|c))'/g)].map((m) => m[1]!);
    return [...new Set([...imported, ...named])].filter((f) => sources.has(f) && f !== path);
  }
  return [...text.matchAll(/^#include\s+"([^"]+)"/gm)].flatMap((m) => {
    const found = [join(m[1]!), `probes/${m[1]}`].find((f) => sources.has(f));
    return found ? [found] : [];
  });
}

/** Every source file a reader can reach from the labs: each lab's file and probes, transitively. */
export function publishedSources(): string[] {
  published ??= findPublished();
  return published;
}

let published: string[] | undefined;

function findPublished(): string[] {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path) || !sources.has(path)) return;
    seen.add(path);
    referencedFiles(path).forEach(visit);
  };
  for (const lab of labs) [lab.source, ...lab.probes].forEach(visit);
  return [...seen].sort();
}
