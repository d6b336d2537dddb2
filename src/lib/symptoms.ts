/**
 * The symptom index: what people see (an error message, `ss` states piling up, a delay) mapped to
 * the labs that show why. Each entry names labs by id; the page links their cards wherever the
 * chapters put them, and an unknown id fails the build. The "you see" text is what a program
 * prints or a tool shows, in its own spelling, so that search finds it.
 */
export interface Symptom {
  /** What the reader sees, as they would type it into a search box. */
  see: string;
  /** The cause in one line. */
  why: string;
  /** The labs that show it, most direct first. */
  labs: string[];
}

export const symptoms: Array<{ group: string; items: Symptom[] }> = [
  {
    group: 'Errors from connect(), read() and write()',
    items: [
      {
        see: '`ECONNREFUSED`, "Connection refused"',
        why: 'Nothing listens on that address and port: the peer answered the SYN with RST at once. A server bound to 127.0.0.1 refuses everyone else.',
        labs: ['handshakes/connection-refused', 'reachability/loopback-listener-refuses'],
      },
      {
        see: '`ETIMEDOUT`, "Connection timed out", after about two minutes',
        why: 'No answer at all: the SYN (or the data) was retransmitted until the retry budget ran out. Nothing came back from a dead host or a silent path.',
        labs: [
          'reachability/blackhole-syn-timeout',
          'reachability/linear-syn-retries',
          'reachability/peer-vanishes',
        ],
      },
      {
        see: '`EHOSTUNREACH`, "No route to host"',
        why: 'A router (or your own host) answered with ICMP "unreachable": a prohibit route or a firewall reject.',
        labs: ['reachability/prohibit-route'],
      },
      {
        see: '`ECONNRESET`, "Connection reset by peer"',
        why: 'The peer sent RST: it closed with unread data, closed with SO_LINGER 0, its process died with unread input, or its full accept queue aborted your handshake.',
        labs: [
          'teardown/close-unread-data-rst',
          'teardown/linger-zero-rst',
          'reachability/process-death',
          'handshakes/abort-on-overflow',
        ],
      },
      {
        see: '`EPIPE`, "Broken pipe", a process killed by SIGPIPE',
        why: 'The write after the peer had already reset the connection; the first write after its close still succeeded.',
        labs: ['teardown/write-after-peer-close-epipe'],
      },
      {
        see: '`EADDRINUSE`, "Address already in use" when a server restarts',
        why: 'A connection of the old server still sits in TIME-WAIT on that port; SO_REUSEADDR on the listener lets bind() succeed.',
        labs: ['teardown/bind-time-wait-eaddrinuse', 'socket-options/reuseaddr-vs-reuseport'],
      },
      {
        see: '`EAGAIN`, `EWOULDBLOCK`, "Resource temporarily unavailable"',
        why: 'A non-blocking call found nothing to do yet (the same errno under two names), or a receive timeout ran out.',
        labs: ['epoll/blocking-and-nonblocking', 'socket-options/send-recv-timeouts'],
      },
      {
        see: '`EMSGSIZE`, "Message too long" from a UDP send',
        why: 'The datagram does not fit the path MTU the kernel knows, with DF set (the default).',
        labs: ['mtu-mss/udp-emsgsize'],
      },
    ],
  },
  {
    group: 'Sockets piling up in ss',
    items: [
      {
        see: 'Many `CLOSE-WAIT` (netstat: `CLOSE_WAIT`) sockets that never go away',
        why: 'The peer closed and your program never called close(): only your code ends CLOSE-WAIT.',
        labs: ['teardown/close-wait-leak'],
      },
      {
        see: 'Thousands of `TIME-WAIT` (`TIME_WAIT`) sockets',
        why: 'Every connection closed first by this host waits 60 s; they cost little, and tcp_tw_reuse lets new outgoing connections reuse them.',
        labs: ['teardown/orderly-close-client-first', 'teardown/tw-reuse-connect'],
      },
      {
        see: 'Many `SYN-RECV` (`SYN_RECV`) entries, "possible SYN flooding" in the kernel log',
        why: 'Handshakes that never complete fill the SYN queue; SYN cookies then answer without keeping state.',
        labs: ['handshakes/syn-flood-cookies', 'handshakes/syn-flood-no-cookies'],
      },
      {
        see: 'A listener whose Recv-Q keeps growing; clients hang in `SYN-SENT`',
        why: 'The accept queue is full (the application does not accept() fast enough): new SYNs are dropped silently and retried.',
        labs: ['handshakes/accept-queue-overflow', 'handshakes/accept-queue-race'],
      },
      {
        see: 'Many `FIN-WAIT-2` (`FIN_WAIT2`) sockets',
        why: 'This side closed and the peer has not: an orphan leaves after tcp_fin_timeout, a socket that only called shutdown() waits for ever.',
        labs: ['teardown/close-wait-leak', 'teardown/half-close-shutdown-write'],
      },
    ],
  },
  {
    group: 'Delays and hangs',
    items: [
      {
        see: 'About 40 ms added to small request–response exchanges',
        why: 'Nagle holds the second small write until the first is acknowledged, and the peer delays that ACK; TCP_NODELAY removes it.',
        labs: ['socket-options/nagle-delayed-ack'],
      },
      {
        see: 'About 200 ms stalls with TCP_CORK or MSG_MORE',
        why: 'Corked data that never fills a segment leaves when the cork ceiling (the RTO) runs out.',
        labs: ['socket-options/cork-and-msg-more'],
      },
      {
        see: 'A peer that vanished is noticed after 15 minutes, or never',
        why: 'A dead host sends nothing: an idle connection learns of it only from keepalive or a user timeout, a busy one after tcp_retries2.',
        labs: [
          'reachability/peer-vanishes',
          'socket-options/keepalive',
          'socket-options/user-timeout',
        ],
      },
      {
        see: 'Small transfers work, large ones hang (a path-MTU black hole)',
        why: 'Full-size segments with DF set are dropped on a narrower link; without the ICMP "fragmentation needed" the sender never learns.',
        labs: ['mtu-mss/pmtu-discovery', 'fragmentation/tcp-fragments-when-mtu-locked'],
      },
      {
        see: 'A sender blocked in write() while the receiver is alive',
        why: "The receiver's buffer is full and it advertises a zero window: the sender probes and waits.",
        labs: ['flow-control/zero-window-probes', 'flow-control/four-buffers'],
      },
      {
        see: 'An edge-triggered epoll loop that stops waking up',
        why: 'Edge-triggered reports each change once: data left unread after one read() gets no new event.',
        labs: ['epoll/level-vs-edge'],
      },
    ],
  },
  {
    group: 'Data that does not arrive as sent',
    items: [
      {
        see: 'recv() returns parts of two messages, or half of one',
        why: 'TCP is a byte stream: send() boundaries are not kept, and reads return what has arrived.',
        labs: ['segments/stream-no-boundaries', 'segments/write-into-segments'],
      },
      {
        see: 'UDP datagrams lost on a busy receiver, with no error anywhere',
        why: 'A full receive buffer drops datagrams; only the counters (RcvbufErrors) say so.',
        labs: ['udp/receiver-overrun-drops-silently', 'socket-options/udp-receive-buffer'],
      },
      {
        see: 'A UDP datagram truncated or never delivered',
        why: 'A short read buffer truncates it; a datagram missing one fragment is never delivered.',
        labs: ['udp/one-send-one-datagram', 'fragmentation/missing-fragment'],
      },
      {
        see: 'A ZeroMQ socket that connected to itself',
        why: 'Connecting to a port inside the ephemeral range with nobody listening can pick that very port as its source.',
        labs: ['zeromq/self-connect', 'handshakes/self-connect'],
      },
    ],
  },
];
