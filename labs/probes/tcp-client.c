/*
 * Handshake client: starts COUNT non-blocking connect()s one after another, then watches them
 * for up to WAIT_MS, reporting how each one ends: connected (with TCP_INFO) or the errno. What
 * is still connecting at the deadline is reported with its state. Connections stay open until
 * SIGTERM so the lab can read states on both ends.
 *
 * With UNTIL_RETRANS, the watch also ends as soon as every connection still pending has had
 * that many SYN retransmissions (TCP_INFO tcpi_total_retrans), so a lab waiting for "two
 * retransmissions" ends on the event itself, not on a guess of when it happens; the pending
 * connections are then closed at once, so no further SYN leaves.
 *
 * usage: client ADDR PORT COUNT WAIT_MS [UNTIL_RETRANS]
 * events: connecting {i, sport}; connected {i, sport, state, ...}; failed {i, sport, errno};
 *         pending {i, sport, state}; done {connected, failed, pending}
 */
#include "addr.h"
#include "tcp_info.h"
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

/* True when every socket still connecting has retransmitted its SYN at least n times. */
static int all_retransmitted(const struct pollfd *pfd, int count, long n) {
  for (int i = 0; i < count; i++) {
    if (pfd[i].fd < 0) continue;
    struct tcp_info ti;
    socklen_t sl = sizeof ti;
    if (getsockopt(pfd[i].fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) die("getsockopt(TCP_INFO)");
    if (ti.tcpi_total_retrans < n) return 0;
  }
  return 1;
}

static const char *USAGE = "client ADDR PORT COUNT WAIT_MS [UNTIL_RETRANS]";
#define MAX_CONN 64

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[2]);
  int count = (int)arg_int(USAGE, "COUNT", argv[3], 1, MAX_CONN);
  long wait_ms = arg_int(USAGE, "WAIT_MS", argv[4], 0, 600000);
  long until_retrans = argc == 6 ? arg_int(USAGE, "UNTIL_RETRANS", argv[5], 1, 100) : 0;
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[1], port, &addr);

  struct pollfd pfd[MAX_CONN];
  int sport[MAX_CONN];
  int open_count = 0, connected = 0, failed = 0;
  char info[768];
  for (int i = 0; i < count; i++) {
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) die("socket");
    int r = connect(fd, (struct sockaddr *)&addr, alen);
    int e = errno;
    sport[i] = local_port(fd);
    pfd[i] = (struct pollfd){.fd = fd, .events = POLLOUT};
    if (r == 0) {
      emit("connected", "\"i\":%d,\"sport\":%d,%s", i, sport[i], tcp_info_json(fd, info, sizeof info));
      pfd[i].fd = -fd - 1; /* done: poll ignores negative fds */
      connected++;
    } else if (e == EINPROGRESS) {
      emit("connecting", "\"i\":%d,\"sport\":%d", i, sport[i]);
      open_count++;
    } else {
      emit("failed", "\"i\":%d,\"sport\":%d,\"errno\":\"%s\"", i, sport[i], errno_name(e));
      pfd[i].fd = -fd - 1;
      failed++;
    }
  }

  double deadline = now_s() + wait_ms / 1000.0;
  while (open_count > 0) {
    int left = (int)((deadline - now_s()) * 1000);
    if (left <= 0) break;
    if (until_retrans && all_retransmitted(pfd, count, until_retrans)) break;
    /* With UNTIL_RETRANS, look at TCP_INFO every 10 ms; otherwise just wait for the sockets. */
    int n = poll(pfd, (nfds_t)count, until_retrans && left > 10 ? 10 : left);
    if (n < 0 && errno != EINTR) die("poll");
    for (int i = 0; i < count && n > 0; i++) {
      if (pfd[i].fd < 0 || !pfd[i].revents) continue;
      int err = 0;
      socklen_t el = sizeof err;
      if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) die("getsockopt(SO_ERROR)");
      if (err == 0) {
        emit("connected", "\"i\":%d,\"sport\":%d,%s", i, sport[i],
             tcp_info_json(pfd[i].fd, info, sizeof info));
        connected++;
      } else {
        emit("failed", "\"i\":%d,\"sport\":%d,\"errno\":\"%s\"", i, sport[i], errno_name(err));
        failed++;
      }
      pfd[i].fd = -pfd[i].fd - 1;
      open_count--;
    }
  }
  int pending = 0;
  for (int i = 0; i < count; i++) {
    if (pfd[i].fd < 0) continue;
    emit("pending", "\"i\":%d,\"sport\":%d,%s", i, sport[i], tcp_info_json(pfd[i].fd, info, sizeof info));
    pending++;
  }
  emit("done", "\"connected\":%d,\"failed\":%d,\"pending\":%d", connected, failed, pending);
  if (until_retrans) {
    for (int i = 0; i < count; i++)
      if (pfd[i].fd >= 0) close(pfd[i].fd);
    emit("abandoned", "\"closed\":%d", pending);
  }
  for (;;) pause(); /* hold every socket open until SIGTERM */
}
