/** The Teardown chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import bindTimeWait from './bind-time-wait-eaddrinuse.ts';
import closeUnreadDataRst from './close-unread-data-rst.ts';
import closeWaitLeak from './close-wait-leak.ts';
import halfClose from './half-close-shutdown-write.ts';
import lingerTimeout from './linger-timeout-blocks-close.ts';
import lingerZeroRst from './linger-zero-rst.ts';
import orderlyCloseClientFirst from './orderly-close-client-first.ts';
import orderlyCloseServerFirst from './orderly-close-server-first.ts';
import writeAfterPeerClose from './write-after-peer-close-epipe.ts';

export default [
  orderlyCloseClientFirst,
  orderlyCloseServerFirst,
  closeWaitLeak,
  halfClose,
  lingerZeroRst,
  closeUnreadDataRst,
  writeAfterPeerClose,
  lingerTimeout,
  bindTimeWait,
] satisfies LabDefinition[];
