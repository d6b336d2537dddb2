/** The IP fragmentation chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import missingFragment from './missing-fragment.ts';
import routerFragments from './router-fragments.ts';
import tcpNoFragments from './tcp-no-fragments.ts';
import udpFragments from './udp-fragments.ts';

export default [
  udpFragments,
  missingFragment,
  routerFragments,
  tcpNoFragments,
] satisfies LabDefinition[];
