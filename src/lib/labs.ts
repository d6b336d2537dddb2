/**
 * Build-time access to labs and their recordings for the components. Every lookup either returns
 * what was asked for or throws an error naming the allowed values, so a typo in a page's props
 * fails the build instead of rendering an empty card.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { getCollection, getEntry } from 'astro:content';
import { labs, findLab } from '../../labs/index.ts';
import type { LabDefinition, LabRun } from '../../labs/_lib/types.ts';

const knownLabs = () =>
  labs.length ? labs.map((l) => l.id).join(', ') : '(none registered in labs/index.ts)';

/** The registered lab with this id; throws listing the known ids. */
export function requireLab(id: string): LabDefinition {
  const lab = findLab(id);
  if (!lab) throw new Error(`Unknown lab "${id}". Known lab ids: ${knownLabs()}`);
  return lab;
}

/** `labs/<chapter>/recorded/<name>.<ext>`, relative to the project root. */
export function recordedPath(id: string, ext: 'json' | 'pcap'): string {
  const [chapter, name] = id.split('/');
  return `labs/${chapter}/recorded/${name}.${ext}`;
}

/** The committed recording of a registered lab; throws if the lab or its recording is missing. */
export async function requireRecording(id: string): Promise<LabRun> {
  requireLab(id);
  const entry = await getEntry('recorded', id);
  if (!entry) {
    throw new Error(
      `Lab "${id}" has no recording: expected ${recordedPath(id, 'json')}. ` +
        `Record it on Linux with \`npm run labs:record -- ${id}\` and commit the .json and .pcap.`,
    );
  }
  if (entry.data.id !== id) {
    throw new Error(`${recordedPath(id, 'json')} records lab "${entry.data.id}", not "${id}".`);
  }
  return entry.data;
}

/** Ids of all committed recordings that have a .pcap beside them. */
export async function recordedPcaps(): Promise<string[]> {
  const entries = await getCollection('recorded');
  return entries.map((e) => e.id).filter((id) => existsSync(pcapFile(id)));
}

/** Absolute path of a lab's recorded capture (the build runs from the project root). */
export function pcapFile(id: string): string {
  return resolve(recordedPath(id, 'pcap'));
}

/** Site URL of a lab's recorded capture; throws if the .pcap is not committed. */
export function pcapHref(id: string): string {
  if (!existsSync(pcapFile(id))) {
    throw new Error(
      `Lab "${id}" has no capture: expected ${recordedPath(id, 'pcap')} next to its .json.`,
    );
  }
  return `${import.meta.env.BASE_URL.replace(/\/$/, '')}/recorded/${id}.pcap`;
}

// Keys look like `../../labs/handshakes/client.c`; the registry names probes relative to labs/.
const probeFiles = import.meta.glob<string>('../../labs/**/*.{c,h}', {
  query: '?raw',
  import: 'default',
  eager: true,
});
const probes = new Map(
  Object.entries(probeFiles).map(([k, src]) => [k.replace(/^\.\.\/\.\.\/labs\//, ''), src]),
);

/** Source text of a probe named relative to labs/ (e.g. `probes/common.h`); throws listing the known files. */
export function probeSource(path: string): string {
  const src = probes.get(path);
  if (src === undefined)
    throw new Error(
      `Unknown probe "${path}". C files under labs/: ${[...probes.keys()].join(', ')}`,
    );
  return src;
}

/**
 * Throws unless the current Starlight page lists `id` in its frontmatter `labs`: the tests read
 * that list to check every lab is linked by a chapter, so a card must not bypass it.
 */
export function requireListedOnPage(locals: App.Locals, id: string): void {
  let entry: { id: string; filePath?: string; data: { labs?: string[] } };
  try {
    entry = locals.starlightRoute.entry as typeof entry;
  } catch {
    return; // Not a Starlight page (e.g. a custom route): there is no frontmatter to keep in sync.
  }
  const listed = entry.data.labs ?? [];
  if (!listed.includes(id)) {
    throw new Error(
      `${entry.filePath ?? entry.id} shows lab "${id}" but its frontmatter does not list it: ` +
        `add it to \`labs: [${[...listed, id].join(', ')}]\`.`,
    );
  }
}
