/**
 * Every lab, in reading order. The CLI, the site and the tests all start from this list, so a lab
 * that is not here does not exist. Importing this module must not run anything.
 */
import abortOnOverflow from './handshakes/abort-on-overflow.ts';
import acceptQueueOverflow from './handshakes/accept-queue-overflow.ts';
import connectionRefused from './handshakes/connection-refused.ts';
import selfConnect from './handshakes/self-connect.ts';
import threeWayHandshake from './handshakes/three-way-handshake.ts';
import type { LabDefinition } from './_lib/types.ts';

export const labs: LabDefinition[] = [
  threeWayHandshake,
  connectionRefused,
  acceptQueueOverflow,
  abortOnOverflow,
  selfConnect,
];

/** The lab with this id (`chapter/lab`), or undefined. */
export function findLab(id: string): LabDefinition | undefined {
  return labs.find((lab) => lab.id === id);
}

/** The labs of one chapter (ids starting with `chapter/`), in order. */
export function labsOfChapter(chapter: string): LabDefinition[] {
  return labs.filter((lab) => lab.id.startsWith(`${chapter}/`));
}
