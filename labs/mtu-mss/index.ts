/** The MTU and MSS chapter's labs, in reading order. */
import type { LabDefinition } from '../_lib/types.ts';
import mssFollowsMtu from './mss-follows-mtu.ts';
import mssClamps from './mss-clamps.ts';
import mssIpv6 from './mss-ipv6.ts';
import oversizeSegment from './oversize-segment.ts';
import pmtuDiscovery from './pmtu-discovery.ts';
import udpEmsgsize from './udp-emsgsize.ts';

export default [
  mssFollowsMtu,
  mssIpv6,
  mssClamps,
  oversizeSegment,
  pmtuDiscovery,
  udpEmsgsize,
] satisfies LabDefinition[];
