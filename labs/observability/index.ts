/** The Observability chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import sysctlReference from './sysctl-reference.ts';

export default [
  sysctlReference,
] satisfies LabDefinition[];
