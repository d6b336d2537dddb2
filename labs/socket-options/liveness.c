/*
 * Liveness of an idle or a sending connection whose peer has vanished. The client opens two
 * connections to the server: A with the option under test, B without it. It then waits for the
 * lab's go-ahead (SIGUSR1), sent once the path to the server silently drops everything, and
 * watches both until A reports an error.
 *
 *   keepalive IDLE INTVL CNT  A gets TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT and SO_KEEPALIVE at
 *                             the go-ahead; neither connection sends anything.
 *   usertimeout MS            A gets TCP_USER_TIMEOUT; at the go-ahead both write 100 bytes,
 *                             which can never be acknowledged.
 *
 * usage: liveness server ADDR PORT
 *        liveness client ADDR PORT keepalive IDLE_S INTVL_S CNT | usertimeout MS
 * server events: listening; accepted
 * client events: connected {pid, sportA, sportB}; go; dead {elapsedMs, pollRevents, errno};
 *                after {errno} (a send() on A after the error, MSG_NOSIGNAL);
 *                other {state, soError, unacked, retransmits, totalRetrans, probes, rtoUs} (B at
 *                that moment); then holds both sockets until SIGTERM
 */
#include "addr.h"
#include "tcp_info.h"
#include <poll.h>
#include <signal.h>
#include <unistd.h>

static const char *USAGE =
    "liveness server ADDR PORT | liveness client ADDR PORT keepalive IDLE_S INTVL_S CNT | "
    "liveness client ADDR PORT usertimeout MS";

static int server(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "server: wrong number of arguments");
  int fd = listening_socket(USAGE, argv[2], argv[3], 8);
  for (;;) {
    int c = accept(fd, NULL, NULL);
    if (c < 0 && errno == EINTR) continue;
    if (c < 0) die("accept");
    emit("accepted", NULL); /* kept open, never read or written */
  }
  return 0;
}

static void setopt(int fd, int level, int opt, int v, const char *name) {
  if (setsockopt(fd, level, opt, &v, sizeof v) < 0) die(name);
}

static int client(int argc, char **argv) {
  if (argc < 5) usage_error(USAGE, "client: wrong number of arguments");
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
  int keepalive = strcmp(argv[4], "keepalive") == 0;
  int idle = 0, intvl = 0, cnt = 0, ut = 0;
  if (keepalive && argc == 8) {
    idle = (int)arg_int(USAGE, "IDLE_S", argv[5], 1, 3600);
    intvl = (int)arg_int(USAGE, "INTVL_S", argv[6], 1, 3600);
    cnt = (int)arg_int(USAGE, "CNT", argv[7], 1, 127);
  } else if (!keepalive && strcmp(argv[4], "usertimeout") == 0 && argc == 6) {
    ut = (int)arg_int(USAGE, "MS", argv[5], 1, 600000);
  } else {
    usage_error(USAGE, "mode must be keepalive IDLE_S INTVL_S CNT or usertimeout MS");
  }
  go_signal_block();

  int fd[2];
  for (int i = 0; i < 2; i++) {
    fd[i] = socket(addr.ss_family, SOCK_STREAM, 0);
    if (fd[i] < 0) die("socket");
    if (connect(fd[i], (struct sockaddr *)&addr, alen) < 0) die("connect");
  }
  if (ut) setopt(fd[0], IPPROTO_TCP, TCP_USER_TIMEOUT, ut, "setsockopt(TCP_USER_TIMEOUT)");
  emit("connected", "\"pid\":%d,\"sportA\":%d,\"sportB\":%d", (int)getpid(), local_port(fd[0]), local_port(fd[1]));

  go_signal_wait();
  double t0 = now_s();
  if (keepalive) {
    setopt(fd[0], IPPROTO_TCP, TCP_KEEPIDLE, idle, "setsockopt(TCP_KEEPIDLE)");
    setopt(fd[0], IPPROTO_TCP, TCP_KEEPINTVL, intvl, "setsockopt(TCP_KEEPINTVL)");
    setopt(fd[0], IPPROTO_TCP, TCP_KEEPCNT, cnt, "setsockopt(TCP_KEEPCNT)");
    setopt(fd[0], SOL_SOCKET, SO_KEEPALIVE, 1, "setsockopt(SO_KEEPALIVE)");
  } else {
    char data[100];
    memset(data, 'd', sizeof data);
    for (int i = 0; i < 2; i++)
      if (send(fd[i], data, sizeof data, MSG_NOSIGNAL) != (ssize_t)sizeof data) die("send");
  }
  emit("go", NULL);

  /* Only A is watched: B has no way to learn anything, which is the point. */
  double limit_s = keepalive ? idle + intvl * cnt + 10.0 : ut / 1000.0 + 10.0;
  struct pollfd p = {.fd = fd[0], .events = POLLIN};
  int n;
  do n = poll(&p, 1, (int)(limit_s * 1000)); while (n < 0 && errno == EINTR);
  if (n < 0) die("poll");
  double elapsed_ms = (now_s() - t0) * 1000;
  char b[128];
  ssize_t r = recv(fd[0], b, sizeof b, MSG_DONTWAIT);
  int e = r < 0 ? errno : 0;
  emit("dead", "\"elapsedMs\":%.3f,\"pollRevents\":\"%s%s%s\",\"recv\":%zd,\"errno\":\"%s\"", elapsed_ms,
       (p.revents & POLLIN) ? "IN " : "", (p.revents & POLLERR) ? "ERR " : "", (p.revents & POLLHUP) ? "HUP" : "",
       r, n == 0 ? "none (poll timed out)" : r < 0 ? errno_name(e) : "none");
  r = send(fd[0], "x", 1, MSG_NOSIGNAL);
  emit("after", "\"send\":%zd,\"errno\":\"%s\"", r, r < 0 ? errno_name(errno) : "none");

  struct tcp_info ti;
  socklen_t tl = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (getsockopt(fd[1], IPPROTO_TCP, TCP_INFO, &ti, &tl) < 0) die("getsockopt(TCP_INFO)");
  int err = 0;
  socklen_t el = sizeof err;
  if (getsockopt(fd[1], SOL_SOCKET, SO_ERROR, &err, &el) < 0) die("getsockopt(SO_ERROR)");
  emit("other", "\"state\":\"%s\",\"soError\":\"%s\",\"unacked\":%u,\"retransmits\":%u,\"totalRetrans\":%u,\"probes\":%u,\"rtoUs\":%u",
       tcp_state_name(ti.tcpi_state), err ? errno_name(err) : "none", ti.tcpi_unacked, ti.tcpi_retransmits,
       ti.tcpi_total_retrans, ti.tcpi_probes, ti.tcpi_rto);
  /* Hold B open until the lab has stopped its capture: closing it would put a FIN on the wire. */
  for (;;) pause();
  return 0;
}

int main(int argc, char **argv) {
  static const struct probe_role roles[] = {
      {"server", server},
      {"client", client},
  };
  return run_role(argc, argv, USAGE, roles, sizeof roles / sizeof roles[0]);
}
