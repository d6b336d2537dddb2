/** The Observability chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';

export default [] satisfies LabDefinition[];
