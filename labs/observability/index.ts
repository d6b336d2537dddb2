/** The Observability chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import procNetTcp from './proc-net-tcp.ts';
import ssQueues from './ss-queues.ts';
import sysctlReference from './sysctl-reference.ts';

export default [
  sysctlReference,
  ssQueues,
  procNetTcp,
] satisfies LabDefinition[];
