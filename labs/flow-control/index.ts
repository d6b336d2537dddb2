/** The Flow control chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import fourBuffers from './four-buffers.ts';
import zeroWindowProbes from './zero-window-probes.ts';

export default [fourBuffers, zeroWindowProbes] satisfies LabDefinition[];
