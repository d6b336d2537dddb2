/*
 * isn: connections whose initial sequence numbers the lab reads from the capture.
 *
 * usage: isn ADDR PORT LPORT COUNT GAP_MS
 *
 * Makes COUNT connections to ADDR:PORT one after another. With LPORT > 0 every connection binds
 * that source port (SO_REUSEADDR), so all of them share one 4-tuple; with 0 each gets an
 * ephemeral port. Each connection is closed with SO_LINGER {1, 0}: an RST, so that neither end
 * keeps a TIME-WAIT socket for the 4-tuple. (A new connection that reuses a TIME-WAIT 4-tuple
 * takes its ISN from the old connection, tw_snd_nxt + 65537, instead of computing a fresh one:
 * tcp_twsk_unique() on the connecting side, tcp_timewait_state_process() on the listening side.)
 * Between connections it waits GAP_MS: the time between samples is what the lab compares the
 * ISNs against, not a wait for some state.
 * events: sample {i, sport}; done {count}
 */
#include "addr.h"
#include <unistd.h>

static const char *USAGE = "isn ADDR PORT LPORT COUNT GAP_MS";

int main(int argc, char **argv) {
  if (argc != 6) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[2]);
  int lport = (int)arg_int(USAGE, "LPORT", argv[3], 0, 65535);
  int count = (int)arg_int(USAGE, "COUNT", argv[4], 1, 100);
  int gap_ms = (int)arg_int(USAGE, "GAP_MS", argv[5], 0, 1000);
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[1], port, &addr);

  for (int i = 0; i < count; i++) {
    if (i && gap_ms) usleep((useconds_t)gap_ms * 1000);
    int fd = socket(addr.ss_family, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (lport) {
      struct sockaddr_storage local;
      socklen_t llen = parse_addr(USAGE, addr.ss_family == AF_INET ? "0.0.0.0" : "::", lport, &local);
      int one = 1;
      if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("setsockopt(SO_REUSEADDR)");
      if (bind(fd, (struct sockaddr *)&local, llen) < 0) die("bind");
    }
    if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
    emit("sample", "\"i\":%d,\"sport\":%d", i, local_port(fd));
    struct linger abort_close = {.l_onoff = 1, .l_linger = 0};
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close) < 0) die("setsockopt(SO_LINGER)");
    if (close(fd) < 0) die("close");
  }
  emit("done", "\"count\":%d", count);
  return 0;
}
