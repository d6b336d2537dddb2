/*
 * SO_REUSEADDR versus SO_REUSEPORT for TCP listeners on Linux.
 *
 *   matrix ADDR PORT   After a connection on ADDR:PORT has left a TIME_WAIT socket behind (the
 *                      lab arranges it: see `timewait`), tries, for each of none / SO_REUSEADDR /
 *                      SO_REUSEPORT: a new listener over the TIME_WAIT socket on PORT; then on
 *                      PORT + 1, where nothing else is bound: a second listener while a first one
 *                      (same options) listens, and two sockets bound before either listens, then
 *                      both listen().
 *   timewait ADDR PORT Listens with SO_REUSEADDR and SO_REUSEPORT, accepts one connection, waits
 *                      for the client's data, closes first (so this side holds TIME_WAIT), exits.
 *   group ADDR PORT N  Two SO_REUSEPORT listeners on ADDR:PORT in this process; accepts N
 *                      connections from either and reports how many each one got.
 *   connect ADDR PORT COUNT [hold]  COUNT connections one after another; each sends one byte
 *                      and waits for EOF unless `hold` (then all stay open until SIGTERM).
 *   stalled ADDR PORT BACKLOG [BACKLOG_A]  Two SO_REUSEPORT listeners: the first (backlog
 *                      BACKLOG_A, default BACKLOG) accepts everything, the second (BACKLOG) never
 *                      calls accept(). On SIGUSR1 reports how many the first accepted and both
 *                      accept queues (TCP_INFO on a listener: tcpi_unacked is the queue,
 *                      tcpi_sacked the backlog).
 *   attempt ADDR PORT COUNT WAIT_MS  COUNT non-blocking connect()s one after another, each given
 *                      up to WAIT_MS to complete before the next starts. Then waits (up to 15 s)
 *                      until every socket has settled: ESTABLISHED, or SYN-SENT with its SYN
 *                      retransmitted at least once (tcpi_total_retrans), i.e. a SYN-ACK is not
 *                      merely late. Reports the states, then closes the SYN-SENT sockets (no
 *                      packet: a SYN-SENT close sends nothing) so that no SYN leaves after
 *                      "abandoned". Holds the established ones open.
 *
 * events: try {case, opts, call, errno|null}; listening; accepted; counts {a, b};
 *         connected {sport}; done {count}; queues {acceptedA, queueA, backlogA, queueB, backlogB};
 *         attempted {count, established, synSent, elapsedMs, settledMs}; abandoned {closed}
 */
#include "addr.h"
#include "tcp_info.h"
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

static const char *USAGE =
    "reuse matrix|timewait ADDR PORT | reuse group ADDR PORT N | reuse connect ADDR PORT COUNT [hold] |\n"
    "       reuse stalled ADDR PORT BACKLOG [BACKLOG_A] | reuse attempt ADDR PORT COUNT WAIT_MS";

static struct sockaddr_storage addr;
static socklen_t alen;

enum { OPT_NONE = 0, OPT_ADDR = 1, OPT_PORT = 2 };
static const char *opt_name(int o) {
  return o == (OPT_ADDR | OPT_PORT) ? "SO_REUSEADDR+SO_REUSEPORT" : o == OPT_ADDR ? "SO_REUSEADDR" : o == OPT_PORT ? "SO_REUSEPORT" : "none";
}

static int make(int opts) {
  int fd = socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  int one = 1;
  if ((opts & OPT_ADDR) && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("setsockopt(SO_REUSEADDR)");
  if ((opts & OPT_PORT) && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) die("setsockopt(SO_REUSEPORT)");
  return fd;
}

/* Reports one call's outcome; returns 0 on success. */
static int tried(const char *what, int opts, const char *call, int r) {
  int e = errno;
  emit("try", "\"case\":\"%s\",\"opts\":\"%s\",\"call\":\"%s\",\"errno\":%s%s%s", what, opt_name(opts), call,
       r < 0 ? "\"" : "", r < 0 ? errno_name(e) : "null", r < 0 ? "\"" : "");
  return r < 0 ? -1 : 0;
}

static int bind_listen(const char *what, int fd, int opts) {
  if (tried(what, opts, "bind", bind(fd, (struct sockaddr *)&addr, alen)) < 0) return -1;
  return tried(what, opts, "listen", listen(fd, 8));
}

static int matrix(void) {
  const int variants[] = {OPT_NONE, OPT_ADDR, OPT_PORT};
  for (int i = 0; i < 3; i++) {
    int o = variants[i];
    /* 1. A new listener where a TIME_WAIT socket holds the address. */
    int fd = make(o);
    bind_listen("over-time-wait", fd, o);
    close(fd);
  }
  /* Cases 2 and 3 on the next port, where no TIME_WAIT socket interferes. */
  struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
  if (addr.ss_family == AF_INET) v4->sin_port = htons((uint16_t)(ntohs(v4->sin_port) + 1));
  else v6->sin6_port = htons((uint16_t)(ntohs(v6->sin6_port) + 1));
  for (int i = 0; i < 3; i++) {
    int o = variants[i];
    /* 2. A second listener while the first, with the same options, listens. */
    int first = make(o);
    if (bind(first, (struct sockaddr *)&addr, alen) < 0 || listen(first, 8) < 0) die("first listener");
    int second = make(o);
    bind_listen("second-listener", second, o);
    close(second);
    close(first);
  }
  for (int i = 0; i < 3; i++) {
    int o = variants[i];
    /* 3. Two sockets bound before either listens, then both listen(). */
    int a = make(o), b = make(o);
    if (tried("bind-bind-listen", o, "bind#1", bind(a, (struct sockaddr *)&addr, alen)) == 0 &&
        tried("bind-bind-listen", o, "bind#2", bind(b, (struct sockaddr *)&addr, alen)) == 0) {
      tried("bind-bind-listen", o, "listen#1", listen(a, 8));
      tried("bind-bind-listen", o, "listen#2", listen(b, 8));
    }
    close(a);
    close(b);
  }
  emit("done", NULL);
  return 0;
}

static int timewait(void) {
  int fd = make(OPT_ADDR | OPT_PORT);
  if (bind(fd, (struct sockaddr *)&addr, alen) < 0) die("bind");
  if (listen(fd, 1) < 0) die("listen");
  emit("listening", NULL);
  int c = accept(fd, NULL, NULL);
  if (c < 0) die("accept");
  char b;
  if (read(c, &b, 1) != 1) die("read");
  close(c); /* we close first: this end goes to TIME_WAIT */
  close(fd);
  emit("closed", NULL);
  return 0;
}

static int group(int n) {
  int l[2];
  for (int i = 0; i < 2; i++) {
    l[i] = make(OPT_PORT);
    if (bind(l[i], (struct sockaddr *)&addr, alen) < 0) die("bind");
    if (listen(l[i], 64) < 0) die("listen");
  }
  emit("listening", "\"listeners\":2");
  int count[2] = {0, 0};
  while (count[0] + count[1] < n) {
    struct pollfd p[2] = {{.fd = l[0], .events = POLLIN}, {.fd = l[1], .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    for (int i = 0; i < 2; i++) {
      if (!(p[i].revents & POLLIN)) continue;
      int c = accept(l[i], NULL, NULL);
      if (c < 0) die("accept");
      count[i]++;
      close(c);
    }
  }
  emit("counts", "\"a\":%d,\"b\":%d", count[0], count[1]);
  return 0;
}

static int connector(int count, int hold) {
  for (int i = 0; i < count; i++) {
    int fd = socket(addr.ss_family, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
    if (i == 0) emit("connected", "\"sport\":%d", local_port(fd));
    if (!hold) {
      if (write(fd, "x", 1) != 1) die("write");
      char b;
      ssize_t r = read(fd, &b, 1); /* EOF once the server has closed */
      if (r < 0) die("read");
      close(fd);
    }
  }
  emit("done", "\"count\":%d", count);
  if (hold) for (;;) pause();
  return 0;
}

static struct tcp_info listener_info(int fd) {
  struct tcp_info ti;
  socklen_t sl = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) die("getsockopt(TCP_INFO)");
  return ti;
}

static int stalled(int backlog, int backlog_a) {
  go_signal_block();
  int l[2];
  for (int i = 0; i < 2; i++) {
    l[i] = make(OPT_PORT);
    if (bind(l[i], (struct sockaddr *)&addr, alen) < 0) die("bind");
    if (listen(l[i], i == 0 ? backlog_a : backlog) < 0) die("listen");
  }
  emit("listening", "\"listeners\":2,\"backlog\":%d,\"backlogA\":%d", backlog, backlog_a);
  int accepted = 0;
  for (;;) {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGUSR1)) {
      go_signal_wait();
      /* Take what is still queued on the first listener, so its queue is read empty. */
      struct pollfd p = {.fd = l[0], .events = POLLIN};
      while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
        int c = accept(l[0], NULL, NULL);
        if (c < 0) die("accept");
        accepted++;
      }
      struct tcp_info a = listener_info(l[0]), b = listener_info(l[1]);
      emit("queues", "\"acceptedA\":%d,\"queueA\":%u,\"backlogA\":%u,\"queueB\":%u,\"backlogB\":%u",
           accepted, a.tcpi_unacked, a.tcpi_sacked, b.tcpi_unacked, b.tcpi_sacked);
      for (;;) pause();
    }
    struct pollfd p = {.fd = l[0], .events = POLLIN};
    if (poll(&p, 1, 5) < 0 && errno != EINTR) die("poll");
    if (p.revents & POLLIN) {
      int c = accept(l[0], NULL, NULL); /* kept open: the connection stays ESTABLISHED */
      if (c < 0) die("accept");
      accepted++;
    }
  }
  return 0;
}

static int attempt(int count, int wait_ms) {
  int fds[1000];
  double t0 = now_s();
  for (int i = 0; i < count; i++) {
    fds[i] = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fds[i] < 0) die("socket");
    if (connect(fds[i], (struct sockaddr *)&addr, alen) < 0 && errno != EINPROGRESS) die("connect");
    struct pollfd p = {.fd = fds[i], .events = POLLOUT};
    if (poll(&p, 1, wait_ms) < 0) die("poll");
  }
  double t1 = now_s();
  /* Settled: ESTABLISHED, or still SYN-SENT after its first SYN retransmission (1 s without an
   * answer). A slow machine waits longer; it cannot count a late SYN-ACK as a dropped SYN. */
  int established, syn_sent;
  for (;;) {
    int unsettled = 0;
    established = syn_sent = 0;
    for (int i = 0; i < count; i++) {
      struct tcp_info ti;
      socklen_t sl = sizeof ti;
      memset(&ti, 0, sizeof ti);
      if (getsockopt(fds[i], IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) die("getsockopt(TCP_INFO)");
      if (ti.tcpi_state == 1) established++;       /* TCP_ESTABLISHED */
      else if (ti.tcpi_state == 2) {               /* TCP_SYN_SENT */
        syn_sent++;
        if (ti.tcpi_total_retrans < 1) unsettled++;
      }
    }
    if (!unsettled || now_s() - t1 > 15) break;
    usleep(10000);
  }
  emit("attempted", "\"count\":%d,\"established\":%d,\"synSent\":%d,\"elapsedMs\":%.3f,\"settledMs\":%.3f",
       count, established, syn_sent, (t1 - t0) * 1000, (now_s() - t1) * 1000);
  int closed = 0;
  for (int i = 0; i < count; i++)
    if (tcp_state(fds[i]) == 2) {
      close(fds[i]);
      closed++;
    }
  emit("abandoned", "\"closed\":%d", closed);
  for (;;) pause();
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) usage_error(USAGE, "wrong number of arguments");
  alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
  if (strcmp(argv[1], "matrix") == 0 && argc == 4) return matrix();
  if (strcmp(argv[1], "timewait") == 0 && argc == 4) return timewait();
  if (strcmp(argv[1], "group") == 0 && argc == 5) return group((int)arg_int(USAGE, "N", argv[4], 1, 10000));
  if (strcmp(argv[1], "connect") == 0 && (argc == 5 || argc == 6))
    return connector((int)arg_int(USAGE, "COUNT", argv[4], 1, 10000), argc == 6 && strcmp(argv[5], "hold") == 0);
  if (strcmp(argv[1], "stalled") == 0 && (argc == 5 || argc == 6)) {
    int backlog = (int)arg_int(USAGE, "BACKLOG", argv[4], 0, 100);
    return stalled(backlog, argc == 6 ? (int)arg_int(USAGE, "BACKLOG_A", argv[5], 0, 4096) : backlog);
  }
  if (strcmp(argv[1], "attempt") == 0 && argc == 6)
    return attempt((int)arg_int(USAGE, "COUNT", argv[4], 1, 1000), (int)arg_int(USAGE, "WAIT_MS", argv[5], 1, 1000));
  usage_error(USAGE, "unknown role or wrong number of arguments");
  return 64;
}
