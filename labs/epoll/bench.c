/*
 * Benchmark probe: the cost of waiting on N TCP connections of which few are active, with four
 * ways of waiting: busy-polling non-blocking recv() over all N, select(), poll() and epoll_wait().
 *
 * Setup: N loopback connections; this process (the receiver) accepts them, renumbered to the
 * lowest free fds as a server that opened only these would have them; a forked sender connects. A run is a ping-pong: the
 * sender writes one 32-byte message on one of the active connections (min(N, 3), spread over the
 * fd range: first, middle, last) and blocks until the receiver echoes it; the receiver waits
 * with the method under test, reads and echoes. So every message is one wait, with exactly one
 * connection ready. A run ends after MSGS messages or BUDGET_MS, whichever comes first.
 * Measured in the receiver only: its syscalls (counted here, one per call, setup excluded: that
 * is epoll_ctl and fd_set building), and its CPU time from getrusage(RUSAGE_SELF), user + system.
 *
 * usage: bench N RUNS MSGS BUDGET_MS
 * events: setup {n, maxFd, ms}; result {method, run, msgs, syscalls, cpuUs, wallUs}
 *         unsupported {method, reason, maxFd, fdSetsize}; done
 */
#include "epoll-util.h"
#include <poll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>

static const char *USAGE = "bench N RUNS MSGS BUDGET_MS";
#define MSG 32

static long syscalls;
#define SYS(call) (syscalls++, (call))

static double cpu_us(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) < 0) die("getrusage");
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Reads the rest of one message from fd (non-blocking; it is ready; `got` bytes already in buf)
 * and echoes it, marked as the last one when stop is set. */
static void serve_rest(int fd, int stop, char *buf, size_t got) {
  while (got < MSG) {
    ssize_t r = SYS(recv(fd, buf + got, MSG - got, 0));
    if (r > 0) got += (size_t)r;
    else if (r < 0 && errno == EAGAIN) continue; /* rest of the message in flight: spin briefly */
    else die("recv(message)");
  }
  buf[0] = stop ? 'S' : 'm';
  if (SYS(send(fd, buf, MSG, MSG_NOSIGNAL)) != MSG) die("send(echo)");
}

static void serve(int fd, int stop) {
  char buf[MSG];
  serve_rest(fd, stop, buf, 0);
}

static void sender(int ctl, int *fds, int n) {
  int active[3], na = n < 3 ? n : 3;
  if (na == 3) {
    active[0] = fds[0];
    active[1] = fds[n / 2];
    active[2] = fds[n - 1];
  } else {
    for (int i = 0; i < na; i++) active[i] = fds[i];
  }
  for (int i = 0; i < n; i++) set_nonblock(fds[i], 0);
  char cmd, buf[MSG];
  memset(buf, 'm', sizeof buf);
  while (read(ctl, &cmd, 1) == 1 && cmd == 'g') {
    for (long k = 0;; k++) {
      int fd = active[k % na];
      if (send(fd, buf, MSG, MSG_NOSIGNAL) != MSG) die("send(message)");
      size_t got = 0;
      char echo[MSG];
      while (got < MSG) {
        ssize_t r = recv(fd, echo + got, MSG - got, 0);
        if (r <= 0) die("recv(echo)");
        got += (size_t)r;
      }
      if (echo[0] == 'S') break;
    }
    if (write(ctl, "d", 1) != 1) die("write(ctl)");
  }
  _exit(0);
}

/* One run of one method; returns messages served. */
static long run_method(const char *method, int *fds, int n, long msgs, double budget_s) {
  long served = 0;
  double t_end = now_s() + budget_s;
  int stop = 0;
#define NEXT() (served++, stop = served >= msgs || (served % 16 == 0 && now_s() > t_end))
  if (strcmp(method, "busy") == 0) {
    while (!stop) {
      for (int i = 0; i < n && !stop; i++) {
        char buf[MSG];
        ssize_t r = SYS(recv(fds[i], buf, MSG, 0));
        if (r > 0) {
          NEXT();
          serve_rest(fds[i], stop, buf, (size_t)r);
        } else if (r == 0 || errno != EAGAIN) {
          die("recv(busy)");
        }
      }
    }
  } else if (strcmp(method, "select") == 0) {
    int maxfd = 0;
    for (int i = 0; i < n; i++) maxfd = fds[i] > maxfd ? fds[i] : maxfd;
    fd_set set;
    while (!stop) {
      FD_ZERO(&set);
      for (int i = 0; i < n; i++) FD_SET(fds[i], &set);
      int k = SYS(select(maxfd + 1, &set, NULL, NULL, NULL));
      if (k < 0) die("select");
      for (int i = 0; i < n && k > 0 && !stop; i++) {
        if (!FD_ISSET(fds[i], &set)) continue;
        k--;
        NEXT();
        serve(fds[i], stop);
      }
    }
  } else if (strcmp(method, "poll") == 0) {
    struct pollfd *p = calloc((size_t)n, sizeof *p);
    if (!p) die("calloc");
    for (int i = 0; i < n; i++) p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    while (!stop) {
      int k = SYS(poll(p, (nfds_t)n, -1));
      if (k < 0) die("poll");
      for (int i = 0; i < n && k > 0 && !stop; i++) {
        if (!(p[i].revents & POLLIN)) continue;
        k--;
        NEXT();
        serve(fds[i], stop);
      }
    }
    free(p);
  } else {
    int ep = epoll_create1(0);
    if (ep < 0) die("epoll_create1");
    for (int i = 0; i < n; i++) {
      struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
      if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) die("epoll_ctl(ADD)");
    }
    struct epoll_event out[64];
    while (!stop) {
      int k = SYS(epoll_wait(ep, out, 64, -1));
      if (k < 0) die("epoll_wait");
      for (int i = 0; i < k && !stop; i++) {
        NEXT();
        serve(out[i].data.fd, stop);
      }
    }
    close(ep);
  }
  return served;
}

int main(int argc, char **argv) {
  if (argc != 5) usage_error(USAGE, "wrong number of arguments");
  int n = (int)arg_int(USAGE, "N", argv[1], 1, 100000);
  int runs = (int)arg_int(USAGE, "RUNS", argv[2], 1, 100);
  long msgs = arg_int(USAGE, "MSGS", argv[3], 1, 10000000);
  double budget_s = (double)arg_int(USAGE, "BUDGET_MS", argv[4], 1, 600000) / 1000.0;

  /* Each side holds N connection fds plus a few: raise the soft limit (within the hard one). */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0) die("getrlimit");
  rlim_t want = (rlim_t)n + 64;
  if (rl.rlim_cur < want) {
    if (rl.rlim_max < want) rl.rlim_max = want; /* needs CAP_SYS_RESOURCE; fails EPERM otherwise */
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) die("setrlimit(RLIMIT_NOFILE)");
  }

  double t0 = now_s();
  int lfd = listen_loopback(0, 4096, 0);
  struct sockaddr_in a;
  socklen_t al = sizeof a;
  if (getsockname(lfd, (struct sockaddr *)&a, &al) < 0) die("getsockname");
  int port = ntohs(a.sin_port);
  int *acc = calloc((size_t)n, sizeof *acc);
  if (!acc) die("calloc");
  int ctl[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctl) < 0) die("socketpair");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    /* The sender connects while the receiver accepts, so neither holds more than N fds. */
    close(ctl[0]);
    close(lfd);
    int *con = calloc((size_t)n, sizeof *con);
    if (!con) die("calloc");
    for (int i = 0; i < n; i++) con[i] = connect_loopback(port);
    sender(ctl[1], con, n);
  }
  close(ctl[1]);
  for (int i = 0; i < n; i++) {
    acc[i] = accept(lfd, NULL, NULL);
    if (acc[i] < 0) die("accept");
  }
  close(lfd);
  /* Renumber the receiver's fds to the lowest free numbers, as a server that opened only these. */
  int maxfd = 0;
  for (int i = 0; i < n; i++) {
    int low = fcntl(acc[i], F_DUPFD, 0);
    if (low < 0) die("fcntl(F_DUPFD)");
    if (low < acc[i]) {
      close(acc[i]);
      acc[i] = low;
    } else {
      close(low);
    }
    set_nonblock(acc[i], 1);
    maxfd = acc[i] > maxfd ? acc[i] : maxfd;
  }
  emit("setup", "\"n\":%d,\"maxFd\":%d,\"ms\":%.1f", n, maxfd, ms_since(t0));

  const char *methods[] = {"busy", "select", "poll", "epoll"};
  for (int m = 0; m < 4; m++) {
    if (strcmp(methods[m], "select") == 0 && maxfd >= FD_SETSIZE) {
      emit("unsupported", "\"method\":\"select\",\"reason\":\"fd %d >= FD_SETSIZE %d: FD_SET would write past the fd_set\",\"maxFd\":%d,\"fdSetsize\":%d",
           maxfd, FD_SETSIZE, maxfd, FD_SETSIZE);
      continue;
    }
    for (int r = 0; r < runs; r++) {
      if (write(ctl[0], "g", 1) != 1) die("write(ctl)");
      syscalls = 0;
      double c0 = cpu_us(), w0 = now_s();
      long served = run_method(methods[m], acc, n, msgs, budget_s);
      double wall = (now_s() - w0) * 1e6, cpu = cpu_us() - c0;
      long calls = syscalls;
      char done;
      if (read(ctl[0], &done, 1) != 1) die("read(ctl)");
      emit("result", "\"method\":\"%s\",\"run\":%d,\"msgs\":%ld,\"syscalls\":%ld,\"cpuUs\":%.0f,\"wallUs\":%.0f",
           methods[m], r, served, calls, cpu, wall);
    }
  }
  if (write(ctl[0], "q", 1) != 1) die("write(ctl)");
  waitpid(pid, NULL, 0);
  emit("done", NULL);
  return 0;
}
