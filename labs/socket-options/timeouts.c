/*
 * SO_RCVTIMEO and SO_SNDTIMEO on a connection whose peer never reads and never writes: how long
 * each blocking call waits, what it returns, and that a non-blocking call ignores the timeouts.
 * Steps on one connection, each timed with the monotonic clock:
 *   recv-timeout       blocking recv() with SO_RCVTIMEO set: nothing arrives
 *   recv-dontwait      recv(MSG_DONTWAIT) on the same socket
 *   recv-nonblock      recv() after O_NONBLOCK, SO_RCVTIMEO still set
 *   send-partial       blocking send() of SEND_BYTES with SO_SNDTIMEO set: the buffers fill up
 *   send-timeout       the same again, once nothing is in flight and the window is zero, until
 *                      a call queues nothing (earlier ones are reported as send-partial-again)
 *   send-nonblock      send() after O_NONBLOCK, SO_SNDTIMEO still set
 *
 * usage: timeouts server ADDR PORT RCVBUF      (accepts one connection, never reads it)
 *        timeouts client ADDR PORT TIMEOUT_MS SNDBUF SEND_BYTES
 * events: listening; accepted; connected {sport}; step {step, ret, errno, elapsedMs};
 *         stalled {attempt, waitedMs}
 */
#include "addr.h"
#include <fcntl.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_snd_wnd (Linux 5.4+) */
#include <signal.h>
#include <stddef.h>
#include <sys/time.h>
#include <unistd.h>

static const char *USAGE =
    "timeouts server ADDR PORT RCVBUF | timeouts client ADDR PORT TIMEOUT_MS SNDBUF SEND_BYTES";

static void report(const char *step, ssize_t ret, int err, double t0) {
  emit("step", "\"step\":\"%s\",\"ret\":%zd,\"errno\":%s%s%s,\"elapsedMs\":%.3f", step, ret,
       ret < 0 ? "\"" : "", ret < 0 ? errno_name(err) : "null", ret < 0 ? "\"" : "",
       (now_s() - t0) * 1000);
}

/*
 * Waits until nothing is in flight and the peer's window is zero: from then on no ACK can free
 * room in the send buffer, so the next send() finds none. Returns the milliseconds waited.
 */
static double wait_stalled(int fd) {
  double t0 = now_s();
  for (;;) {
    struct tcp_info ti;
    socklen_t tl = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) < 0) die("getsockopt(TCP_INFO)");
    if (tl < offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof ti.tcpi_snd_wnd) {
      errno = ENOPROTOOPT;
      die("getsockopt(TCP_INFO.tcpi_snd_wnd)");
    }
    if (ti.tcpi_unacked == 0 && ti.tcpi_snd_wnd == 0) return (now_s() - t0) * 1000;
    if (now_s() - t0 > 5) {
      errno = ETIMEDOUT;
      die("wait for a zero window with nothing in flight");
    }
    usleep(1000);
  }
}

static int server(int argc, char **argv) {
  if (argc != 5) usage_error(USAGE, "server: wrong number of arguments");
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
  int rcvbuf = (int)arg_int(USAGE, "RCVBUF", argv[4], 0, 1 << 30);
  int fd = bound_socket(SOCK_STREAM, &addr, alen);
  /* Set on the listener so the accepted socket inherits it (and the SYN-ACK's window follows). */
  if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) die("setsockopt(SO_RCVBUF)");
  if (listen(fd, 1) < 0) die("listen");
  emit("listening", NULL);
  int c = accept(fd, NULL, NULL);
  if (c < 0) die("accept");
  emit("accepted", NULL);
  for (;;) pause(); /* never read: the peer's sends fill our receive buffer */
  return 0;
}

static int client(int argc, char **argv) {
  if (argc != 7) usage_error(USAGE, "client: wrong number of arguments");
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
  long timeout_ms = arg_int(USAGE, "TIMEOUT_MS", argv[4], 1, 60000);
  int sndbuf = (int)arg_int(USAGE, "SNDBUF", argv[5], 0, 1 << 30);
  size_t big = (size_t)arg_int(USAGE, "SEND_BYTES", argv[6], 1, 64 << 20);
  signal(SIGPIPE, SIG_IGN);

  int fd = socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) < 0) die("setsockopt(SO_SNDBUF)");
  if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
  emit("connected", "\"sport\":%d", local_port(fd));
  struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) die("setsockopt(SO_RCVTIMEO)");
  if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) die("setsockopt(SO_SNDTIMEO)");

  char small[64];
  double t0 = now_s();
  ssize_t r = recv(fd, small, sizeof small, 0);
  report("recv-timeout", r, errno, t0);

  t0 = now_s();
  r = recv(fd, small, sizeof small, MSG_DONTWAIT);
  report("recv-dontwait", r, errno, t0);

  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl(O_NONBLOCK)");
  t0 = now_s();
  r = recv(fd, small, sizeof small, 0);
  report("recv-nonblock", r, errno, t0);
  if (fcntl(fd, F_SETFL, flags) < 0) die("fcntl(blocking)");

  char *buf = calloc(1, big);
  if (!buf) die("calloc");
  t0 = now_s();
  r = send(fd, buf, big, 0);
  report("send-partial", r, errno, t0);

  /* Until one call can queue nothing. A later call may still append a few segments' worth to
   * the last queued skb (TCP may enlarge its size goal), so that is not guaranteed to be the
   * next call; each such call also returns only after the timeout. */
  for (int attempt = 1; attempt <= 5; attempt++) {
    emit("stalled", "\"attempt\":%d,\"waitedMs\":%.3f", attempt, wait_stalled(fd));
    t0 = now_s();
    r = send(fd, buf, big, 0);
    report(r < 0 ? "send-timeout" : "send-partial-again", r, errno, t0);
    if (r < 0) break;
  }

  if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl(O_NONBLOCK)");
  t0 = now_s();
  r = send(fd, buf, big, 0);
  report("send-nonblock", r, errno, t0);

  emit("done", NULL);
  for (;;) pause(); /* keep the connection until the lab stops us */
  return 0;
}

int main(int argc, char **argv) {
  static const struct probe_role roles[] = {
      {"server", server},
      {"client", client},
  };
  return run_role(argc, argv, USAGE, roles, sizeof roles / sizeof roles[0]);
}
