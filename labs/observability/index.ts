/** The Observability chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import nstatCounters from './nstat-counters.ts';
import procNetTcp from './proc-net-tcp.ts';
import ssQueues from './ss-queues.ts';
import sysctlReference from './sysctl-reference.ts';
import tcpInfo from './tcp-info.ts';

export default [
  sysctlReference,
  ssQueues,
  procNetTcp,
  tcpInfo,
  nstatCounters,
] satisfies LabDefinition[];
