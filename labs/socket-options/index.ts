/** The Socket options chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import bufferSizes from './buffer-sizes.ts';
import corkAndMsgMore from './cork-and-msg-more.ts';
import keepalive from './keepalive.ts';
import nagleDelayedAck from './nagle-delayed-ack.ts';
import reuseaddrVsReuseport from './reuseaddr-vs-reuseport.ts';
import reuseportBalancing from './reuseport-balancing.ts';
import sendRecvTimeouts from './send-recv-timeouts.ts';
import tcpReceiveWindow from './tcp-receive-window.ts';
import udpReceiveBuffer from './udp-receive-buffer.ts';
import userTimeout from './user-timeout.ts';

export default [
  nagleDelayedAck,
  corkAndMsgMore,
  sendRecvTimeouts,
  bufferSizes,
  udpReceiveBuffer,
  tcpReceiveWindow,
  reuseaddrVsReuseport,
  reuseportBalancing,
  keepalive,
  userTimeout,
] satisfies LabDefinition[];
