/*
 * Reusing a 4-tuple that is in TIME-WAIT for a new outgoing connection (net.ipv4.tcp_tw_reuse).
 * In one namespace whose ip_local_port_range holds a single port, so that every connect() gets
 * the same local port: listen on ADDR:PORT, connect to it, close the connecting end first (it
 * goes to TIME-WAIT), close the accepted end, then connect() again, every RETRY_MS, until it
 * succeeds or LIMIT_MS have passed. No bind(): the port comes from the ephemeral range, which is
 * the path tcp_tw_reuse governs (an explicit bind() takes another one).
 *
 * usage: tw-reuse ADDR PORT RETRY_MS LIMIT_MS
 * events: first {sport}; state {...}; time-wait; attempt {n, ret, errno, afterMs, sport} (the first
 *         and every change of outcome); result {reused, attempts, afterMs, sport, errno};
 *         tuple-now {state} (after a reuse: what sock_diag finds on the old 4-tuple); done
 */
#include "teardown.h"

static const char *USAGE = "tw-reuse ADDR PORT RETRY_MS LIMIT_MS";

int main(int argc, char **argv) {
  if (argc != 5) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[2]);
  int retry_ms = (int)arg_int(USAGE, "RETRY_MS", argv[3], 1, 1000);
  int limit_ms = (int)arg_int(USAGE, "LIMIT_MS", argv[4], 1, 60000);
  steps_init();
  struct sockaddr_storage to;
  socklen_t tolen = parse_addr(USAGE, argv[1], port, &to);

  int lfd = listen_on(USAGE, argv[1], port, 1);
  int c = connect_to(USAGE, argv[1], port);
  int a = accept_one(lfd);
  EMIT("first", "\"sport\":%d", local_port(c));
  struct tuple t = tuple_of(c);
  watch_start(c);
  if (close(c) < 0) die("close"); /* this end closes first: TIME-WAIT is here */
  char buf[16];
  ssize_t r;
  while ((r = read(a, buf, sizeof buf)) > 0) {}
  if (r < 0) die("read");
  if (close(a) < 0) die("close(accepted)");
  if (!watch_until(TCP_TIME_WAIT, 5000)) return 1;
  EMIT("time-wait", NULL);

  double t0 = now_s();
  int attempts = 0, last_errno = -1;
  for (;;) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    int ret = connect(fd, (struct sockaddr *)&to, tolen);
    int e = ret < 0 ? errno : 0;
    attempts++;
    double after = (now_s() - t0) * 1000;
    if (e != last_errno)
      EMIT("attempt", "\"n\":%d,\"ret\":%d,\"errno\":\"%s\",\"afterMs\":%.1f,\"sport\":%d", attempts, ret,
           e ? errno_name(e) : "", after, ret == 0 ? local_port(fd) : 0);
    last_errno = e;
    if (ret == 0) {
      EMIT("result", "\"reused\":true,\"attempts\":%d,\"afterMs\":%.1f,\"sport\":%d,\"errno\":\"\"", attempts,
           after, local_port(fd));
      emit_diag("tuple-now", &t, NULL); /* the old 4-tuple: now the new connection's */
      break;
    }
    close(fd);
    if (after >= limit_ms) {
      EMIT("result", "\"reused\":false,\"attempts\":%d,\"afterMs\":%.1f,\"sport\":0,\"errno\":\"%s\"", attempts,
           after, errno_name(e));
      break;
    }
    usleep((useconds_t)retry_ms * 1000);
  }
  EMIT("done", NULL);
  return 0;
}
