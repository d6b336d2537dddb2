/** The Reachability chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import blackholeSynTimeout from './blackhole-syn-timeout.ts';
import linearSynRetries from './linear-syn-retries.ts';
import loopbackListenerRefuses from './loopback-listener-refuses.ts';
import peerVanishes from './peer-vanishes.ts';
import prohibitRoute from './prohibit-route.ts';

export default [
  loopbackListenerRefuses,
  prohibitRoute,
  blackholeSynTimeout,
  linearSynRetries,
  peerVanishes,
] satisfies LabDefinition[];
