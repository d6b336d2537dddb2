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
 *        bulk stuck ADDR PORT SNDBUF USER_TIMEOUT_MS
 *                                                 connect (TCP_USER_TIMEOUT if > 0), write until
 *                                                 EAGAIN, then watch TCP_INFO every millisecond:
 *                                                 report the first zero-window probe, then the
 *                                                 error the connection fails with (SO_ERROR), or,
 *                                                 with no user timeout, the state at SIGUSR1
 *
 * Every connecting socket asks for the cubic congestion control (TCP_CONGESTION), the Linux
 * default, so numbers that depend on the algorithm (cwnd) do not follow the host's choice; if the
 * kernel refuses, the socket keeps the namespace's default and `connected` says which one ran.
 *
 * events: listening {pid}; accepted; connected {ca, caErrno}; blocked {written, errno, ...};
 *         probing {probes, backoff, written, ...}; sent {written}; acked; go; drained {total};
 *         stalled {written, ...}; first-probe {...}; failed {errno, sinceFirstProbeMs,
 *         lastProbes, lastBackoff, ...}; alive {sinceFirstProbeMs, ...}
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
    "       bulk both ADDR PORT BUF server|client | bulk stuck ADDR PORT SNDBUF USER_TIMEOUT_MS";

/* The algorithm every connecting socket asks for (see the header). */
static const char *WANTED_CA = "cubic";

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

static int connect_one(struct sockaddr_storage *addr, socklen_t alen, long rcvbuf, long sndbuf,
                       long user_timeout_ms) {
  int fd = socket(addr->ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  set_buf(fd, SO_RCVBUF, rcvbuf, "setsockopt(SO_RCVBUF)");
  set_buf(fd, SO_SNDBUF, sndbuf, "setsockopt(SO_SNDBUF)");
  unsigned ut = (unsigned)user_timeout_ms;
  if (ut && setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof ut) < 0) die("setsockopt(TCP_USER_TIMEOUT)");
  /* Not fatal: a kernel without cubic, or a caller without CAP_NET_ADMIN for a restricted one. */
  const char *ca_errno = "null";
  char ca_err[32];
  if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, WANTED_CA, strlen(WANTED_CA)) < 0) {
    snprintf(ca_err, sizeof ca_err, "\"%s\"", errno_name(errno));
    ca_errno = ca_err;
  }
  if (connect(fd, (struct sockaddr *)addr, alen) < 0) die("connect");
  char ca[32] = "";
  socklen_t cl = sizeof ca - 1;
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, ca, &cl) < 0) die("getsockopt(TCP_CONGESTION)");
  ca[cl < sizeof ca ? cl : sizeof ca - 1] = 0;
  char info[512];
  emit("connected", "\"sport\":%d,\"ca\":\"%s\",\"caErrno\":%s,\"userTimeoutMs\":%u,%s", local_port(fd),
       ca, ca_errno, ut, info_json(fd, info, sizeof info));
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

/*
 * Fills the send buffer, then watches TCP_INFO every millisecond. The first zero-window probe
 * raises tcpi_backoff (tcp_send_probe0()); from then on the connection either fails (SO_ERROR,
 * reported with the last TCP_INFO sample taken before it) or, without a user timeout, is still
 * alive when the lab sends SIGUSR1.
 */
static void stuck(int fd) {
  char info[512];
  memset(buf, 'z', sizeof buf);
  long written = fill_until_eagain(fd, 1L << 30);
  emit("blocked", "\"written\":%ld,\"errno\":\"EAGAIN\",%s", written, info_json(fd, info, sizeof info));
  double first_probe = 0;
  struct tcp_info last = info_of(fd);
  for (;;) {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGUSR1)) {
      go_signal_wait();
      emit("alive", "\"sinceFirstProbeMs\":%.3f,%s", first_probe ? (now_s() - first_probe) * 1000 : -1,
           info_json(fd, info, sizeof info));
      return;
    }
    struct pollfd p = {.fd = fd, .events = 0};
    if (poll(&p, 1, 1) < 0 && errno != EINTR) die("poll");
    if (p.revents & (POLLERR | POLLHUP)) {
      int err = 0;
      socklen_t el = sizeof err;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) die("getsockopt(SO_ERROR)");
      emit("failed",
           "\"errno\":\"%s\",\"sinceFirstProbeMs\":%.3f,\"lastProbes\":%u,\"lastBackoff\":%u,"
           "\"lastRtoUs\":%u,\"written\":%ld",
           err ? errno_name(err) : "0", first_probe ? (now_s() - first_probe) * 1000 : -1,
           last.tcpi_probes, last.tcpi_backoff, last.tcpi_rto, written);
      return;
    }
    last = info_of(fd);
    if (!first_probe && last.tcpi_backoff >= 1) {
      first_probe = now_s();
      emit("first-probe", "%s", info_json(fd, info, sizeof info));
    }
  }
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
    source(connect_one(&addr, alen, 0, sndbuf, 0), total, probes);
  } else if (strcmp(mode, "both") == 0 && argc == 6) {
    long size = arg_int(USAGE, "BUF", argv[4], 0, 1 << 26);
    int fd = strcmp(argv[5], "server") == 0 ? listen_one(&addr, alen, size, size) : connect_one(&addr, alen, size, size, 0);
    stall(fd);
  } else if (strcmp(mode, "stuck") == 0 && argc == 6) {
    long sndbuf = arg_int(USAGE, "SNDBUF", argv[4], 0, 1 << 26);
    long ut = arg_int(USAGE, "USER_TIMEOUT_MS", argv[5], 0, 600000);
    stuck(connect_one(&addr, alen, 0, sndbuf, ut));
  } else {
    usage_error(USAGE, "unknown mode or wrong number of arguments");
  }
  for (;;) pause(); /* hold the connection until SIGTERM */
}
