/** The Handshakes chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import abortOnOverflow from './abort-on-overflow.ts';
import acceptQueueOverflow from './accept-queue-overflow.ts';
import connectionRefused from './connection-refused.ts';
import selfConnect from './self-connect.ts';
import threeWayHandshake from './three-way-handshake.ts';

export default [
  threeWayHandshake,
  connectionRefused,
  acceptQueueOverflow,
  abortOnOverflow,
  selfConnect,
] satisfies LabDefinition[];
