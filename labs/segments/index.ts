/** The Segments chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import gsoSuperPackets from './gso-super-packets.ts';
import streamNoBoundaries from './stream-no-boundaries.ts';
import udpDatagramBoundaries from './udp-datagram-boundaries.ts';
import writeIntoSegments from './write-into-segments.ts';

export default [
  writeIntoSegments,
  gsoSuperPackets,
  streamNoBoundaries,
  udpDatagramBoundaries,
] satisfies LabDefinition[];
