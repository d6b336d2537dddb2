/*
 * Observability probe: runs a short script of socket steps given as arguments, one event per
 * step, so a lab can put sockets into exactly the states it then reads with ss, /proc/net/tcp,
 * TCP_INFO and nstat. Sockets are numbered 0, 1, 2, ... in the order steps create them.
 *
 * usage: obs STEP...
 *   listen:ADDR:PORT:BACKLOG[:RCVBUF]  socket, [SO_RCVBUF], bind, listen   -> listening
 *   connect:ADDR:PORT[:RCVBUF]         non-blocking connect() started       -> connecting
 *   established:K                      waits until socket K connects        -> connected | failed
 *   accept:K                           accept() on listener K (blocking)     -> accepted
 *   write:K:BYTES                      non-blocking writes until BYTES or EAGAIN -> wrote
 *   info:K                             TCP_INFO of socket K                  -> info
 *   until:K:STATE                      polls TCP_INFO until K is in STATE    -> reached
 *   retrans:K:N                        polls until tcpi_total_retrans >= N   -> retransmitted
 *   close:K                            close()                               -> closed
 *   abort:K                            SO_LINGER {1, 0} then close() (RST)   -> aborted
 *   wait                               emits waiting, blocks until SIGUSR1   -> resumed
 * Every event carries {step, sock}; socket events add inode (fstat st_ino), ports and TCP_INFO.
 * After the last step: done, then the sockets stay open until SIGTERM.
 */
#include "addr.h"
#include "tcp_info.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *USAGE = "obs STEP... (see the header of obs.c)";
#define MAX_SOCKS 32
#define MAX_FIELDS 6

static int socks[MAX_SOCKS];
static int nsocks;
static volatile sig_atomic_t resumed;

static void on_usr1(int sig) {
  (void)sig;
  resumed = 1;
}

/* Splits "a:b:c" in place into at most MAX_FIELDS fields; returns the count. */
static int split(char *s, char **f) {
  int n = 0;
  for (char *p = s; n < MAX_FIELDS; n++) {
    f[n] = p;
    char *colon = strchr(p, ':');
    if (!colon) return n + 1;
    *colon = '\0';
    p = colon + 1;
  }
  usage_error(USAGE, "too many fields in a step");
  return n;
}

static int sock_arg(const char *s) {
  int k = (int)arg_int(USAGE, "K", s, 0, MAX_SOCKS - 1);
  if (k >= nsocks || socks[k] < 0) usage_error(USAGE, "step names a socket that does not exist");
  return socks[k];
}

static int add_sock(int fd) {
  if (nsocks >= MAX_SOCKS) usage_error(USAGE, "too many sockets");
  socks[nsocks] = fd;
  return nsocks++;
}

/* TCP_INFO fields tcp_info.h leaves out: the numeric state, windows and congestion state. */
static const char *more_info(int fd, char *buf, size_t len) {
  struct tcp_info ti;
  socklen_t sl = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) die("getsockopt(TCP_INFO)");
  struct stat st;
  if (fstat(fd, &st) < 0) die("fstat");
  snprintf(buf, len,
           "\"stateCode\":%u,\"inode\":%lu,\"options\":%u,\"rttvarUs\":%u,\"sndCwnd\":%u,"
           "\"rcvSpace\":%u,\"sndSsthresh\":%u,\"lost\":%u,\"backoff\":%u,\"sacked\":%u",
           ti.tcpi_state, (unsigned long)st.st_ino, ti.tcpi_options, ti.tcpi_rttvar,
           ti.tcpi_snd_cwnd, ti.tcpi_rcv_space, ti.tcpi_snd_ssthresh, ti.tcpi_lost,
           ti.tcpi_backoff, ti.tcpi_sacked);
  return buf;
}


static unsigned total_retrans(int fd) {
  struct tcp_info ti;
  socklen_t sl = sizeof ti;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) die("getsockopt(TCP_INFO)");
  return ti.tcpi_total_retrans;
}

/* Emits an event about socket k with its ports, inode and TCP_INFO, plus extra fields. */
static void report(const char *event, int step, int k, const char *extra) {
  char info[768], more[384], local[64] = "", peer[64] = "";
  struct sockaddr_storage a;
  socklen_t al = sizeof a;
  if (getsockname(socks[k], (struct sockaddr *)&a, &al) == 0) format_addr(&a, local, sizeof local);
  al = sizeof a;
  if (getpeername(socks[k], (struct sockaddr *)&a, &al) == 0) format_addr(&a, peer, sizeof peer);
  emit(event, "\"step\":%d,\"sock\":%d,\"local\":\"%s\",\"peer\":\"%s\",%s,%s%s%s", step, k, local,
       peer, tcp_info_json(socks[k], info, sizeof info), more_info(socks[k], more, sizeof more),
       extra && *extra ? "," : "", extra ? extra : "");
}

static void set_rcvbuf(int fd, const char *text) {
  int v = (int)arg_int(USAGE, "RCVBUF", text, 1, 1 << 30);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) < 0) die("setsockopt(SO_RCVBUF)");
}

int main(int argc, char **argv) {
  if (argc < 2) usage_error(USAGE, "no steps");
  struct sigaction sa = {.sa_handler = on_usr1};
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGUSR1, &sa, NULL) < 0) die("sigaction(SIGUSR1)");
  signal(SIGPIPE, SIG_IGN);

  for (int step = 1; step < argc; step++) {
    char *f[MAX_FIELDS];
    int n = split(argv[step], f);
    const char *op = f[0];
    char extra[128];
    if (!strcmp(op, "listen") && (n == 4 || n == 5)) {
      struct sockaddr_storage addr;
      socklen_t alen = parse_addr(USAGE, f[1], arg_port(USAGE, "PORT", f[2]), &addr);
      int fd = socket(addr.ss_family, SOCK_STREAM, 0);
      if (fd < 0) die("socket");
      int one = 1;
      if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("setsockopt(SO_REUSEADDR)");
      if (n == 5) set_rcvbuf(fd, f[4]);
      if (bind(fd, (struct sockaddr *)&addr, alen) < 0) die("bind");
      int backlog = (int)arg_int(USAGE, "BACKLOG", f[3], 0, 65535);
      if (listen(fd, backlog) < 0) die("listen");
      snprintf(extra, sizeof extra, "\"backlog\":%d", backlog);
      report("listening", step, add_sock(fd), extra);
    } else if (!strcmp(op, "connect") && (n == 3 || n == 4)) {
      struct sockaddr_storage addr;
      socklen_t alen = parse_addr(USAGE, f[1], arg_port(USAGE, "PORT", f[2]), &addr);
      int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (fd < 0) die("socket");
      if (n == 4) set_rcvbuf(fd, f[3]);
      if (connect(fd, (struct sockaddr *)&addr, alen) < 0 && errno != EINPROGRESS) die("connect");
      report("connecting", step, add_sock(fd), NULL);
    } else if (!strcmp(op, "established") && n == 2) {
      int k = (int)arg_int(USAGE, "K", f[1], 0, MAX_SOCKS - 1), fd = sock_arg(f[1]);
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      while (poll(&p, 1, -1) < 0)
        if (errno != EINTR) die("poll");
      int err = 0;
      socklen_t el = sizeof err;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) die("getsockopt(SO_ERROR)");
      if (err) {
        snprintf(extra, sizeof extra, "\"errno\":\"%s\"", errno_name(err));
        report("failed", step, k, extra);
      } else {
        report("connected", step, k, NULL);
      }
    } else if (!strcmp(op, "accept") && n == 2) {
      int fd = sock_arg(f[1]);
      int c;
      while ((c = accept(fd, NULL, NULL)) < 0)
        if (errno != EINTR) die("accept");
      report("accepted", step, add_sock(c), NULL);
    } else if (!strcmp(op, "write") && n == 3) {
      int k = (int)arg_int(USAGE, "K", f[1], 0, MAX_SOCKS - 1), fd = sock_arg(f[1]);
      long want = arg_int(USAGE, "BYTES", f[2], 1, 1L << 30), done = 0;
      int flags = fcntl(fd, F_GETFL);
      if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl(O_NONBLOCK)");
      static char chunk[65536];
      memset(chunk, 'x', sizeof chunk);
      int eagain = 0;
      while (done < want) {
        size_t len = (size_t)(want - done) < sizeof chunk ? (size_t)(want - done) : sizeof chunk;
        ssize_t w = write(fd, chunk, len);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          eagain = 1;
          break;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) die("write");
        done += w;
      }
      snprintf(extra, sizeof extra, "\"bytes\":%ld,\"eagain\":%s", done, eagain ? "true" : "false");
      report("wrote", step, k, extra);
    } else if (!strcmp(op, "info") && n == 2) {
      int k = (int)arg_int(USAGE, "K", f[1], 0, MAX_SOCKS - 1);
      sock_arg(f[1]);
      report("info", step, k, NULL);
    } else if (!strcmp(op, "until") && n == 3) {
      int k = (int)arg_int(USAGE, "K", f[1], 0, MAX_SOCKS - 1), fd = sock_arg(f[1]);
      while (strcmp(tcp_state_name(tcp_state(fd)), f[2]) != 0) usleep(2000);
      report("reached", step, k, NULL);
    } else if (!strcmp(op, "retrans") && n == 3) {
      int k = (int)arg_int(USAGE, "K", f[1], 0, MAX_SOCKS - 1), fd = sock_arg(f[1]);
      unsigned want = (unsigned)arg_int(USAGE, "N", f[2], 1, 100);
      /* Polled every 2 ms: the event ends the wait, and the next RTO is hundreds of ms away. */
      while (total_retrans(fd) < want) usleep(2000);
      report("retransmitted", step, k, NULL);
    } else if (!strcmp(op, "close") && n == 2) {
      int k = (int)arg_int(USAGE, "K", f[1], 0, MAX_SOCKS - 1), fd = sock_arg(f[1]);
      report("closing", step, k, NULL);
      if (close(fd) < 0) die("close");
      socks[k] = -1;
      emit("closed", "\"step\":%d,\"sock\":%d", step, k);
    } else if (!strcmp(op, "abort") && n == 2) {
      int k = (int)arg_int(USAGE, "K", f[1], 0, MAX_SOCKS - 1), fd = sock_arg(f[1]);
      struct linger lg = {.l_onoff = 1, .l_linger = 0};
      if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0) die("setsockopt(SO_LINGER)");
      report("aborting", step, k, NULL);
      if (close(fd) < 0) die("close");
      socks[k] = -1;
      emit("aborted", "\"step\":%d,\"sock\":%d", step, k);
    } else if (!strcmp(op, "wait") && n == 1) {
      sigset_t block, old;
      sigemptyset(&block);
      sigaddset(&block, SIGUSR1);
      sigprocmask(SIG_BLOCK, &block, &old);
      resumed = 0;
      emit("waiting", "\"step\":%d", step);
      while (!resumed) sigsuspend(&old);
      sigprocmask(SIG_SETMASK, &old, NULL);
      emit("resumed", "\"step\":%d", step);
    } else {
      usage_error(USAGE, "unknown step or wrong number of fields");
    }
  }
  emit("done", "\"sockets\":%d", nsocks);
  for (;;) pause(); /* SIGTERM's default action ends us */
}
