/** The epoll chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import acceptBurst from './accept-burst.ts';
import blockingAndNonblocking from './blocking-and-nonblocking.ts';
import levelVsEdge from './level-vs-edge.ts';
import peerClose from './peer-close.ts';
import thunderingHerd from './thundering-herd.ts';

export default [
  levelVsEdge,
  acceptBurst,
  peerClose,
  blockingAndNonblocking,
  thunderingHerd,
] satisfies LabDefinition[];
