/** The UDP chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import connectedSocketHearsIcmp from './connected-socket-hears-icmp.ts';
import oneSendOneDatagram from './one-send-one-datagram.ts';
import receiverOverrunDropsSilently from './receiver-overrun-drops-silently.ts';
import unconnectedSocketNeverHears from './unconnected-socket-never-hears.ts';

export default [
  oneSendOneDatagram,
  connectedSocketHearsIcmp,
  unconnectedSocketNeverHears,
  receiverOverrunDropsSilently,
] satisfies LabDefinition[];
