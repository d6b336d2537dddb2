/** The Ports chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import clientFixedPort from './client-fixed-port.ts';
import ephemeralRange from './ephemeral-range.ts';
import reuseportSplits from './reuseport-splits.ts';
import tcpFourTuple from './tcp-four-tuple.ts';
import udpMostSpecificWins from './udp-most-specific-wins.ts';
import udpOneSocket from './udp-one-socket.ts';
import udpReuseportHash from './udp-reuseport-hash.ts';

export default [
  tcpFourTuple,
  udpOneSocket,
  udpMostSpecificWins,
  reuseportSplits,
  udpReuseportHash,
  ephemeralRange,
  clientFixedPort,
] satisfies LabDefinition[];
