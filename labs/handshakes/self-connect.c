/*
 * Self-connect hunter: connect()s to ADDR:PORT again and again, where nobody listens and PORT
 * lies inside the ephemeral range, until the kernel happens to pick PORT as the source port and
 * the socket connects to itself (TCP simultaneous open), or MAX attempts pass. On success it
 * writes a few bytes and reads them back from the same socket, then closes it.
 *
 * usage: self-connect ADDR PORT MAX_ATTEMPTS
 * events: refused-summary {attempts, refused, otherErrors, evenPorts, oddPorts, minPort, maxPort}:
 *         attempts, refused and otherErrors count the attempts that did not connect to themselves;
 *         the port fields count every source port the kernel chose, the self-connection's included;
 *         self-connected {attempt, local, peer, state, ...}; echo {sent, received, bytes};
 *         gave-up {attempts}
 */
#include "addr.h"
#include "tcp_info.h"
#include <unistd.h>

static const char *USAGE = "self-connect ADDR PORT MAX_ATTEMPTS";

static void summary(int attempts, int refused, int other, int even, int odd, int lo, int hi) {
  emit("refused-summary",
       "\"attempts\":%d,\"refused\":%d,\"otherErrors\":%d,\"evenPorts\":%d,\"oddPorts\":%d,"
       "\"minPort\":%d,\"maxPort\":%d",
       attempts, refused, other, even, odd, lo, hi);
}

int main(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[2]);
  int max = (int)arg_int(USAGE, "MAX_ATTEMPTS", argv[3], 1, 1000000);
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[1], port, &addr);

  int refused = 0, other = 0, even = 0, odd = 0, lo = 65536, hi = 0;
  for (int attempt = 1; attempt <= max; attempt++) {
    int fd = socket(addr.ss_family, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    int r = connect(fd, (struct sockaddr *)&addr, alen);
    int e = errno;
    int sport = local_port(fd);
    if (sport > 0) {
      if (sport % 2) odd++;
      else even++;
      if (sport < lo) lo = sport;
      if (sport > hi) hi = sport;
    }
    if (r == 0) {
      summary(attempt - 1, refused, other, even, odd, lo, hi);
      struct sockaddr_storage me, peer;
      socklen_t ml = sizeof me, pl = sizeof peer;
      if (getsockname(fd, (struct sockaddr *)&me, &ml) < 0) die("getsockname");
      if (getpeername(fd, (struct sockaddr *)&peer, &pl) < 0) die("getpeername");
      char a[64], b[64], info[768];
      emit("self-connected", "\"attempt\":%d,\"local\":\"%s\",\"peer\":\"%s\",%s", attempt,
           format_addr(&me, a, sizeof a), format_addr(&peer, b, sizeof b),
           tcp_info_json(fd, info, sizeof info));
      const char msg[] = "hello";
      ssize_t sent = write(fd, msg, sizeof msg - 1);
      if (sent < 0) die("write");
      char back[16] = {0};
      ssize_t got = read(fd, back, sizeof back - 1);
      if (got < 0) die("read");
      emit("echo", "\"sent\":%zd,\"received\":%zd,\"bytes\":\"%s\"", sent, got, back);
      if (close(fd) < 0) die("close");
      emit("closed", NULL);
      return 0;
    }
    if (e == ECONNREFUSED) refused++;
    else other++;
    close(fd);
  }
  summary(max, refused, other, even, odd, lo, hi);
  emit("gave-up", "\"attempts\":%d", max);
  return 0;
}
