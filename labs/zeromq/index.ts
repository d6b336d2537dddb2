/** The ZeroMQ chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import connectAccept from './connect-accept.ts';
import reconnectBackoff from './reconnect-backoff.ts';
import reconnectInterval from './reconnect-interval.ts';
import reservedPort from './reserved-port.ts';
import selfConnect from './self-connect.ts';

export default [
  connectAccept,
  reconnectInterval,
  reconnectBackoff,
  selfConnect,
  reservedPort,
] satisfies LabDefinition[];
