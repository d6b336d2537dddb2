/*
 * bulk: a TCP sender that outruns a receiver which is not reading, to watch flow control.
 *
 * usage: bulk sink ADDR PORT RCVBUF TOTAL        listen (SO_RCVBUF on the listener, so the
 *                                                 accepted socket and its window scale follow),
 *                                                 accept one connection, read nothing until
 *                                                 SIGUSR1, then read TOTAL bytes
 *        bulk source ADDR PORT SNDBUF TOTAL PROBES
 *                                                 connect, write TOTAL bytes without blocking;
 *                                                 report the first EAGAIN, then the moment
 *                                                 TCP_INFO's backoff shows PROBES zero-window probes,
 *                                                 then finish writing as the window reopens
 *        bulk both ADDR PORT BUF server|client    both ends write without ever reading; each
 *                                                 reports when it is stalled (EAGAIN and its
 *                                                 first zero-window probe)
 *
 * events: listening {pid}; accepted; connected; blocked {written, errno, ...};
 *         probing {probes, backoff, written, ...}; sent {written}; acked; go; drained {total};
 *         stalled {written, ...}
 */
#include "addr.h"
#include <fcntl.h>
/* The kernel's struct tcp_info: glibc's copy lacks tcpi_snd_wnd (Linux 5.4+). */
#include <linux/tcp.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

static const char *USAGE =
    "bulk sink ADDR PORT RCVBUF TOTAL | bulk source ADDR PORT SNDBUF TOTAL PROBES |\n"
    "       bulk both ADDR PORT BUF server|client";

static char buf[1 << 16];

static struct tcp_info info_of(int fd) {
  struct tcp_info ti;
  socklen_t sl = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) die("getsockopt(TCP_INFO)");
  return ti;
}

/* The TCP_INFO fields flow control is about, as JSON. */
static const char *info_json(int fd, char *out, size_t len) {
  struct tcp_info ti = info_of(fd);
  int sndbuf = 0, rcvbuf = 0;
  socklen_t sl = sizeof sndbuf;
  getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl);
  sl = sizeof rcvbuf;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &sl);
  snprintf(out, len,
           "\"state\":\"%s\",\"probes\":%u,\"backoff\":%u,\"rtoUs\":%u,\"sndCwnd\":%u,\"sndMss\":%u,"
           "\"rcvSpace\":%u,\"unacked\":%u,\"sndWscale\":%u,\"rcvWscale\":%u,\"sndbuf\":%d,\"rcvbuf\":%d,"
           "\"totalRetrans\":%u,\"sndWnd\":%u",
           tcp_state_name(ti.tcpi_state), ti.tcpi_probes, ti.tcpi_backoff, ti.tcpi_rto, ti.tcpi_snd_cwnd,
           ti.tcpi_snd_mss, ti.tcpi_rcv_space, ti.tcpi_unacked, ti.tcpi_snd_wscale, ti.tcpi_rcv_wscale,
           sndbuf, rcvbuf, ti.tcpi_total_retrans, ti.tcpi_snd_wnd);
  return out;
}

static void set_buf(int fd, int opt, long size, const char *call) {
  int v = (int)size;
  if (size > 0 && setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v) < 0) die(call);
}

static int listen_one(struct sockaddr_storage *addr, socklen_t alen, long rcvbuf, long sndbuf) {
  int fd = bound_socket(SOCK_STREAM, addr, alen);
  set_buf(fd, SO_RCVBUF, rcvbuf, "setsockopt(SO_RCVBUF)");
  set_buf(fd, SO_SNDBUF, sndbuf, "setsockopt(SO_SNDBUF)");
  if (listen(fd, 4) < 0) die("listen");
  emit("listening", "\"pid\":%d", (int)getpid());
  int c = accept(fd, NULL, NULL);
  if (c < 0) die("accept");
  close(fd);
  char info[512];
  emit("accepted", "%s", info_json(c, info, sizeof info));
  return c;
}

static int connect_one(struct sockaddr_storage *addr, socklen_t alen, long rcvbuf, long sndbuf) {
  int fd = socket(addr->ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  set_buf(fd, SO_RCVBUF, rcvbuf, "setsockopt(SO_RCVBUF)");
  set_buf(fd, SO_SNDBUF, sndbuf, "setsockopt(SO_SNDBUF)");
  if (connect(fd, (struct sockaddr *)addr, alen) < 0) die("connect");
  char info[512];
  emit("connected", "\"sport\":%d,%s", local_port(fd), info_json(fd, info, sizeof info));
  return fd;
}

/* Writes until EAGAIN on a non-blocking socket; returns bytes written. */
static long fill_until_eagain(int fd, long limit) {
  long written = 0;
  while (written < limit) {
    size_t n = sizeof buf < (size_t)(limit - written) ? sizeof buf : (size_t)(limit - written);
    ssize_t w = send(fd, buf, n, MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EAGAIN) break;
      die("send");
    }
    written += w;
  }
  return written;
}

static void source(int fd, long total, long probes_wanted) {
  char info[512];
  memset(buf, 'x', sizeof buf);
  long written = fill_until_eagain(fd, total);
  if (written < total) emit("blocked", "\"written\":%ld,\"errno\":\"EAGAIN\",%s", written, info_json(fd, info, sizeof info));
  int reported = 0;
  /* poll() for room, but wake every 5 ms to watch the probe timer's backoff: each zero-window
     probe raises tcpi_backoff by one, while tcpi_probes drops back to 0 whenever a probe is
     answered (tcp_ack() resets icsk_probes_out), so only the backoff counts the probes sent. */
  while (written < total) {
    if (!reported && info_of(fd).tcpi_backoff >= probes_wanted) {
      emit("probing", "\"written\":%ld,%s", written, info_json(fd, info, sizeof info));
      reported = 1;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (poll(&p, 1, 5) < 0 && errno != EINTR) die("poll");
    if (p.revents & (POLLERR | POLLHUP)) die("poll(POLLERR)");
    if (p.revents & POLLOUT) written += fill_until_eagain(fd, total - written);
  }
  emit("sent", "\"written\":%ld,%s", written, info_json(fd, info, sizeof info));
  double deadline = now_s() + 20;
  while (info_of(fd).tcpi_unacked > 0 && now_s() < deadline) usleep(2000);
  emit("acked", "%s", info_json(fd, info, sizeof info));
}

static void sink(int fd, long total) {
  go_signal_wait();
  emit("go", NULL);
  long got = 0;
  double t0 = now_s();
  while (got < total) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    if (n == 0) break;
    got += n;
  }
  char info[512];
  emit("drained", "\"total\":%ld,\"seconds\":%.6f,%s", got, now_s() - t0, info_json(fd, info, sizeof info));
}

/* Both ends: write until EAGAIN, then wait for the first zero-window probe; never read. */
static void stall(int fd) {
  char info[512];
  memset(buf, 'y', sizeof buf);
  long written = fill_until_eagain(fd, 1L << 30);
  double deadline = now_s() + 10;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (poll(&p, 1, 5) < 0 && errno != EINTR) die("poll");
    if (p.revents & POLLOUT) written += fill_until_eagain(fd, 1L << 30);
    if (info_of(fd).tcpi_backoff >= 1) break;
    if (now_s() > deadline) {
      errno = ETIMEDOUT;
      die("wait(zero-window probe)");
    }
  }
  emit("stalled", "\"written\":%ld,%s", written, info_json(fd, info, sizeof info));
}

int main(int argc, char **argv) {
  if (argc < 6) usage_error(USAGE, "wrong number of arguments");
  go_signal_block();
  signal(SIGPIPE, SIG_IGN);
  const char *mode = argv[1];
  int port = arg_port(USAGE, "PORT", argv[3]);
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], port, &addr);
  if (strcmp(mode, "sink") == 0 && argc == 6) {
    long rcvbuf = arg_int(USAGE, "RCVBUF", argv[4], 0, 1 << 26);
    long total = arg_int(USAGE, "TOTAL", argv[5], 1, 1L << 30);
    sink(listen_one(&addr, alen, rcvbuf, 0), total);
  } else if (strcmp(mode, "source") == 0 && argc == 7) {
    long sndbuf = arg_int(USAGE, "SNDBUF", argv[4], 0, 1 << 26);
    long total = arg_int(USAGE, "TOTAL", argv[5], 1, 1L << 30);
    long probes = arg_int(USAGE, "PROBES", argv[6], 1, 15);
    source(connect_one(&addr, alen, 0, sndbuf), total, probes);
  } else if (strcmp(mode, "both") == 0 && argc == 6) {
    long size = arg_int(USAGE, "BUF", argv[4], 0, 1 << 26);
    int fd = strcmp(argv[5], "server") == 0 ? listen_one(&addr, alen, size, size) : connect_one(&addr, alen, size, size);
    stall(fd);
  } else {
    usage_error(USAGE, "unknown mode or wrong number of arguments");
  }
  for (;;) pause(); /* hold the connection until SIGTERM */
}
