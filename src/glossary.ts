/**
 * The glossary, declared once: /glossary/ lists it and `<Term id="mss">` links a chapter's use of a
 * term to its entry (a typo in `id` fails the build with the known ids). Definitions are Markdown;
 * keep each to two or three sentences and say where the book shows the thing.
 */

/** One glossary entry; `id` is its anchor on /glossary/. */
export interface GlossaryTerm {
  id: string;
  term: string;
  /** Expansion of an abbreviation, shown after the term. */
  expands?: string;
  definition: string;
}

/** Every term, alphabetical by `term`. */
export const glossary: GlossaryTerm[] = [
  {
    id: 'accept-queue',
    term: 'Accept queue',
    definition:
      'Per listening socket, the completed connections waiting for `accept()`. `listen()`’s backlog caps it (backlog + 1 fit on Linux); `ss` shows its length as a listener’s Recv-Q. See [Handshakes](/handshakes/accept-queue/#the-syn-queue-and-the-accept-queue).',
  },
  {
    id: 'ack',
    term: 'ACK',
    expands: 'acknowledgement',
    definition:
      'A TCP flag and a number: the ack number is the next sequence number the sender of the segment expects, so it acknowledges every byte before it. Every segment after the first SYN carries it.',
  },
  {
    id: 'backlog',
    term: 'Backlog',
    definition:
      'The argument of `listen()`. On Linux it bounds the [accept queue](#accept-queue), silently capped by `net.core.somaxconn`; it is not the number of half-open connections.',
  },
  {
    id: 'challenge-ack',
    term: 'Challenge ACK',
    definition:
      'The ACK a Linux TCP sends instead of resetting when a RST arrives inside the receive window but not at exactly the next expected sequence number, or when a SYN arrives for an established connection (RFC 5961). It carries the numbers the receiver expects, so a real peer can reset properly and a blind attacker cannot; the connection goes on. See [Teardown](/teardown/rsts-and-challenge-acks/#blind-rsts-and-syns-challenge-acks).',
  },
  {
    id: 'close-wait',
    term: 'CLOSE-WAIT',
    definition:
      'The state of a socket whose peer has sent its FIN while the local application has not yet called `close()`. Many sockets stuck here mean the application forgets to close.',
  },
  {
    id: 'datagram',
    term: 'Datagram',
    definition:
      'A self-contained message with its own addresses: an IP datagram, or a UDP datagram (one `send()` becomes one datagram and one `recv()` returns at most one). Contrast [segment](#segment) and [frame](#frame).',
  },
  {
    id: 'delayed-ack',
    term: 'Delayed ACK',
    definition:
      'A receiver waits briefly before acknowledging (40 ms at first on Linux, up to 200 ms), hoping to piggyback the ACK on data. Combined with [Nagle](#nagle) it can stall request–response traffic.',
  },
  {
    id: 'df',
    term: 'DF',
    expands: "Don't Fragment",
    definition:
      'An IPv4 header flag that forbids routers to fragment the packet; a router that would have to answers with ICMP “fragmentation needed” carrying its MTU. Linux sets it on TCP by default, which is what [PMTUD](#pmtud) relies on.',
  },
  {
    id: 'ephemeral-port',
    term: 'Ephemeral port',
    definition:
      'A local port the kernel picks for `connect()` (or `bind()` to port 0) from `net.ipv4.ip_local_port_range`, 32768–60999 by default.',
  },
  {
    id: 'errno',
    term: 'errno',
    definition:
      'The error code a failing system call leaves behind, named by its constant (`ECONNREFUSED`, `EPIPE`, `EAGAIN`, …). Labs record it by name.',
  },
  {
    id: 'fin',
    term: 'FIN',
    definition:
      'The TCP flag that says “I will send no more data”. Like a SYN it occupies one sequence number; each direction is closed by its own FIN.',
  },
  {
    id: 'four-tuple',
    term: 'Four-tuple',
    definition:
      'Local address and port plus remote address and port: what identifies a TCP connection, so many connections can share a local port.',
  },
  {
    id: 'fragment',
    term: 'Fragment',
    definition:
      'A piece of an IP datagram that was too big for the link’s [MTU](#mtu). Fragments share the datagram’s identification and carry an offset; the receiver reassembles them or discards the whole datagram.',
  },
  {
    id: 'frame',
    term: 'Frame',
    definition:
      'The link-layer unit, e.g. an Ethernet frame: a header with MAC addresses around one IP packet. A capture file holds frames.',
  },
  {
    id: 'gso',
    term: 'GSO / TSO',
    expands: 'generic / TCP segmentation offload',
    definition:
      'The stack hands one large “super-packet” down and it is cut into MTU-sized segments later, by the driver or the NIC. A capture on the sending host can show packets larger than the MTU.',
  },
  {
    id: 'half-close',
    term: 'Half-close',
    definition:
      'Closing one direction of a connection: `shutdown(SHUT_WR)` sends a [FIN](#fin), the peer reads end of file, and data still flows the other way. See [Teardown](/teardown/shutdown/#half-close-with-shutdown).',
  },
  {
    id: 'isn',
    term: 'ISN',
    expands: 'initial sequence number',
    definition:
      'The sequence number a side puts in its SYN. Linux derives it from a keyed hash of the [four-tuple](#four-tuple) and a clock (RFC 6528); captures here show sequence numbers relative to it.',
  },
  {
    id: 'keepalive',
    term: 'Keepalive',
    definition:
      'Optional TCP probes sent on an idle connection (`SO_KEEPALIVE`, tuned by `TCP_KEEPIDLE`, `TCP_KEEPINTVL`, `TCP_KEEPCNT`) so that a dead peer is eventually detected.',
  },
  {
    id: 'mss',
    term: 'MSS',
    expands: 'maximum segment size',
    definition:
      'The largest TCP payload a side is willing to receive in one segment, announced in its SYN. It counts payload only: the route’s [MTU](#mtu) minus IP and TCP headers (1460 for IPv4 over a 1500-byte MTU).',
  },
  {
    id: 'mtu',
    term: 'MTU',
    expands: 'maximum transmission unit',
    definition:
      'The largest IP packet, headers included, a link carries without [fragmentation](#fragment): 1500 bytes on Ethernet, 65536 on Linux’s loopback.',
  },
  {
    id: 'nagle',
    term: 'Nagle’s algorithm',
    definition:
      'While data is unacknowledged, TCP holds back small segments and coalesces them. `TCP_NODELAY` turns it off.',
  },
  {
    id: 'network-namespace',
    term: 'Network namespace',
    definition:
      'A separate copy of the Linux network stack: its own interfaces, routes, sockets and sysctls. Every lab runs its hosts in fresh namespaces, so your own network is never touched.',
  },
  {
    id: 'orphan',
    term: 'Orphan socket',
    definition:
      'A TCP socket the application has closed while the kernel still finishes the connection: it sends what was queued and the FIN, and waits in FIN-WAIT or LAST-ACK. `tcp_orphan_retries`, `TCP_USER_TIMEOUT` and the host-wide `tcp_max_orphans` limit it; when it gives up, the data is dropped without a RST. See [Teardown](/teardown/orphans/#an-orphan-on-a-silent-path).',
  },
  {
    id: 'packet',
    term: 'Packet',
    definition:
      'Loosely, any unit on the wire; in this book, an IP packet: the IP header and what it carries (a [segment](#segment), a UDP [datagram](#datagram) or a [fragment](#fragment)).',
  },
  {
    id: 'pcap',
    term: 'pcap',
    definition:
      'The capture file format of tcpdump and Wireshark. Every recorded run offers its .pcap for download.',
  },
  {
    id: 'pmtud',
    term: 'PMTUD',
    expands: 'path MTU discovery',
    definition:
      'Sending with [DF](#df) set and lowering the packet size when a router answers “fragmentation needed” (ICMPv6 “packet too big”), so that no fragmentation happens on the path.',
  },
  {
    id: 'window',
    term: 'Receive window',
    definition:
      'How many more bytes the receiver will accept, advertised in every segment; the sender may not have more unacknowledged data than that. Zero means “stop”.',
  },
  {
    id: 'rst',
    term: 'RST',
    expands: 'reset',
    definition:
      'The TCP flag that aborts a connection at once. It answers a segment for a port where nothing listens (`ECONNREFUSED`) or for a connection the host no longer has, and is sent by `close()` with unread data, with `SO_LINGER` set to zero, or when data arrives for a socket already closed (`ECONNRESET` or `EPIPE` at the peer). An established connection accepts one only at exactly the next expected sequence number; others in the window draw a [challenge ACK](#challenge-ack).',
  },
  {
    id: 'rto',
    term: 'RTO',
    expands: 'retransmission timeout',
    definition:
      'How long TCP waits for an acknowledgement before it retransmits; derived from the measured [RTT](#rtt), at least 200 ms on Linux, 1 s for a SYN, doubling on each retry.',
  },
  {
    id: 'rtt',
    term: 'RTT',
    expands: 'round-trip time',
    definition:
      'The time from sending a segment to receiving its acknowledgement. TCP measures it continuously (TCP_INFO’s `rtt`) and derives the [RTO](#rto) from it.',
  },
  {
    id: 'sack',
    term: 'SACK',
    expands: 'selective acknowledgement',
    definition:
      'A TCP option that reports blocks received beyond a gap, so only the missing data is retransmitted. Permitted in the SYNs (`sackOK`).',
  },
  {
    id: 'segment',
    term: 'Segment',
    definition:
      'The TCP unit: a TCP header and up to one [MSS](#mss) of payload, carried in one IP packet. TCP is a byte stream, so segments need not match the application’s writes.',
  },
  {
    id: 'simultaneous-open',
    term: 'Simultaneous open',
    definition:
      'Both sides send a SYN before receiving one; each answers with a SYN-ACK and the connection opens with four segments. A socket that connects to itself takes this path.',
  },
  {
    id: 'syn',
    term: 'SYN',
    definition:
      'The TCP flag that opens a connection and carries the [ISN](#isn) and the options (MSS, window scale, SACK permitted, timestamps). It occupies one sequence number.',
  },
  {
    id: 'syn-queue',
    term: 'SYN queue',
    definition:
      'The half-open connections of a listener: SYN received, SYN-ACK sent, final ACK awaited. On Linux these are small request socks shown by `ss` as SYN-RECV.',
  },
  {
    id: 'sysctl',
    term: 'sysctl',
    definition:
      'A kernel tunable under /proc/sys, e.g. `net.ipv4.tcp_rmem`. Most network sysctls are per namespace; every lab pins the ones its result depends on and records them.',
  },
  {
    id: 'time-wait',
    term: 'TIME-WAIT',
    definition:
      'The state the side that sends the first FIN keeps for 60 s on Linux (TCP_TIMEWAIT_LEN); after a simultaneous close both sides keep it. It acknowledges a retransmitted FIN again and keeps late segments of the old connection from corrupting a new one with the same [four-tuple](#four-tuple). A RST at the exact sequence number ends it early unless `tcp_rfc1337` is set. See [Teardown](/teardown/orderly-close/#how-long-time-wait-lasts-and-why).',
  },
  {
    id: 'veth',
    term: 'veth pair',
    definition:
      'Two virtual Ethernet interfaces joined like a cable; the labs put one end in each [network namespace](#network-namespace) to connect their hosts.',
  },
  {
    id: 'window-scale',
    term: 'Window scale',
    definition:
      'A SYN option (`wscale`) giving a shift applied to every later window field, so windows can exceed 64 KiB. Linux derives it from the largest possible receive buffer.',
  },
];

/** The entry with this id; throws listing the known ids so a typo fails the build. */
export function requireTerm(id: string): GlossaryTerm {
  const term = glossary.find((t) => t.id === id);
  if (!term)
    throw new Error(
      `<Term id="${id}">: no such glossary entry. Known ids: ${glossary.map((t) => t.id).join(', ')}`,
    );
  return term;
}
