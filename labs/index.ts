/**
 * Every lab, chapter by chapter in reading order. The CLI, the site and the tests all start from
 * this list, so a lab that is not here does not exist. Importing this module must not run
 * anything. A new chapter adds one import and one entry; its own index.ts orders its labs.
 */
import type { LabDefinition } from './_lib/types.ts';
import handshakes from './handshakes/index.ts';
import teardown from './teardown/index.ts';
import segments from './segments/index.ts';
import mtuMss from './mtu-mss/index.ts';
import fragmentation from './fragmentation/index.ts';
import epoll from './epoll/index.ts';
import socketOptions from './socket-options/index.ts';
import udp from './udp/index.ts';
import flowControl from './flow-control/index.ts';
import ports from './ports/index.ts';
import reachability from './reachability/index.ts';
import zeromq from './zeromq/index.ts';
import multicast from './multicast/index.ts';
import observability from './observability/index.ts';

// The same order as the book's reading order (src/chapters.ts).
export const labs: LabDefinition[] = [
  ...handshakes,
  ...teardown,
  ...segments,
  ...mtuMss,
  ...fragmentation,
  ...epoll,
  ...socketOptions,
  ...udp,
  ...flowControl,
  ...ports,
  ...reachability,
  ...zeromq,
  ...multicast,
  ...observability,
];

/** The lab with this id (`chapter/lab`), or undefined. */
export function findLab(id: string): LabDefinition | undefined {
  return labs.find((lab) => lab.id === id);
}

/** The labs of one chapter (ids starting with `chapter/`), in order. */
export function labsOfChapter(chapter: string): LabDefinition[] {
  return labs.filter((lab) => lab.id.startsWith(`${chapter}/`));
}
