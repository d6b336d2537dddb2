/** The Multicast chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import igmpv2JoinLeave from './igmpv2-join-leave.ts';
import joinReceiveLeave from './join-receive-leave.ts';
import needsARoute from './needs-a-route.ts';
import ttlAndLoop from './ttl-and-loop.ts';

export default [
  joinReceiveLeave,
  igmpv2JoinLeave,
  ttlAndLoop,
  needsARoute,
] satisfies LabDefinition[];
