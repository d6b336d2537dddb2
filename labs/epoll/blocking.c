/*
 * Blocking, timeouts and non-blocking, one idle TCP connection over loopback at a time:
 *   rcvtimeo         blocking recv() with SO_RCVTIMEO: fails EAGAIN after the timeout.
 *   rcvtimeo-nb      the same socket made O_NONBLOCK: EAGAIN at once, the timeout is not used.
 *   dontwait         recv(MSG_DONTWAIT) on a blocking socket: EAGAIN at once; the fd stays blocking.
 *   dup              O_NONBLOCK set through one fd shows on its dup(): same open file description.
 *   poll-ignores     SO_RCVTIMEO does not shorten poll(): it waits its own timeout.
 *   eintr-rcvtimeo   SIGALRM (SA_RESTART) during recv() with SO_RCVTIMEO: EINTR, not restarted.
 *   eintr-restart    SIGALRM (SA_RESTART) during recv() without a timeout: restarted, returns data.
 *   eintr-epoll      SIGALRM (SA_RESTART) during epoll_wait(): EINTR, never restarted.
 *
 * usage: blocking PORT TIMEOUT_MS SIGNAL_MS
 * events: case {case, ret, errno, ms, ...}; constants {EAGAIN, EWOULDBLOCK}; done
 */
#include "epoll-util.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

static const char *USAGE = "blocking PORT TIMEOUT_MS SIGNAL_MS";
static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static void set_rcvtimeo(int fd, int ms) {
  struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) die("setsockopt(SO_RCVTIMEO)");
}

static void arm(int ms) {
  struct itimerval it = {.it_value = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000}};
  if (setitimer(ITIMER_REAL, &it, NULL) < 0) die("setitimer");
}

static void report(const char *name, ssize_t ret, int err, double ms, const char *extra) {
  emit("case", "\"case\":\"%s\",\"ret\":%zd,\"errno\":\"%s\",\"ms\":%.3f%s%s", name, ret,
       ret < 0 ? errno_name(err) : "none", ms, extra && *extra ? "," : "", extra ? extra : "");
}

/* recv() on fd with flags, timed and reported. */
static void timed_recv(const char *name, int fd, int flags, const char *extra) {
  char buf[64];
  double t0 = now_s();
  ssize_t r = recv(fd, buf, sizeof buf, flags);
  int e = errno;
  report(name, r, e, ms_since(t0), extra);
}

struct late_write { int fd; int after_ms; };
static void *writer(void *arg) {
  struct late_write *lw = arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL); /* SIGALRM must reach the main thread */
  usleep((useconds_t)lw->after_ms * 1000);
  if (write(lw->fd, "late!", 5) != 5) die("write");
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[1]);
  int timeout = (int)arg_int(USAGE, "TIMEOUT_MS", argv[2], 1, 10000);
  int sig_ms = (int)arg_int(USAGE, "SIGNAL_MS", argv[3], 1, 10000);
  int lfd = listen_loopback(port, 8, 0);
  char extra[160];

  emit("constants", "\"EAGAIN\":%d,\"EWOULDBLOCK\":%d,\"FD_SETSIZE\":%d", EAGAIN, EWOULDBLOCK, FD_SETSIZE);

  int peer, s = accept_pair(lfd, port, &peer);
  set_rcvtimeo(s, timeout);
  timed_recv("rcvtimeo", s, 0, NULL);
  set_nonblock(s, 1);
  timed_recv("rcvtimeo-nb", s, 0, NULL);
  set_nonblock(s, 0);

  /* MSG_DONTWAIT is per call: the next plain recv() blocks again (until SO_RCVTIMEO). */
  snprintf(extra, sizeof extra, "\"fdNonblockAfter\":%s", "false");
  char buf[64];
  double t0 = now_s();
  ssize_t r = recv(s, buf, sizeof buf, MSG_DONTWAIT);
  int e = errno;
  double ms = ms_since(t0);
  snprintf(extra, sizeof extra, "\"fdNonblockAfter\":%s", has_nonblock(s) ? "true" : "false");
  report("dontwait", r, e, ms, extra);
  timed_recv("after-dontwait", s, 0, NULL);

  /* O_NONBLOCK lives in the open file description, which dup() shares. */
  int d = dup(s);
  if (d < 0) die("dup");
  set_nonblock(s, 1);
  snprintf(extra, sizeof extra, "\"origNonblock\":%s,\"dupNonblock\":%s", has_nonblock(s) ? "true" : "false",
           has_nonblock(d) ? "true" : "false");
  timed_recv("dup", d, 0, extra);
  set_nonblock(d, 0);
  snprintf(extra, sizeof extra, "\"origNonblockAfterClearOnDup\":%s", has_nonblock(s) ? "true" : "false");
  report("dup-clear", 0, 0, 0, extra);
  close(d);

  /* SO_RCVTIMEO is for I/O calls only; poll() waits for its own timeout. */
  set_rcvtimeo(s, timeout / 4);
  struct pollfd pfd = {.fd = s, .events = POLLIN};
  t0 = now_s();
  int pr = poll(&pfd, 1, timeout);
  e = errno;
  report("poll-ignores", pr, e, ms_since(t0), NULL);

  /* Signals: SA_RESTART set, so a plain blocking recv() is restarted after the handler... */
  struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGALRM, &sa, NULL) < 0) die("sigaction");

  set_rcvtimeo(s, timeout + sig_ms * 2);
  alarms = 0;
  arm(sig_ms);
  t0 = now_s();
  r = recv(s, buf, sizeof buf, 0);
  e = errno;
  snprintf(extra, sizeof extra, "\"handlerRan\":%d", (int)alarms);
  report("eintr-rcvtimeo", r, e, ms_since(t0), extra);

  set_rcvtimeo(s, 0);
  alarms = 0;
  pthread_t th;
  struct late_write lw = {.fd = peer, .after_ms = sig_ms * 3};
  if (pthread_create(&th, NULL, writer, &lw) != 0) die("pthread_create");
  arm(sig_ms);
  t0 = now_s();
  r = recv(s, buf, sizeof buf, 0);
  e = errno;
  snprintf(extra, sizeof extra, "\"handlerRan\":%d,\"dataAtMs\":%d", (int)alarms, sig_ms * 3);
  report("eintr-restart", r, e, ms_since(t0), extra);
  pthread_join(th, NULL);

  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0) die("epoll_ctl(ADD)");
  alarms = 0;
  arm(sig_ms);
  t0 = now_s();
  struct epoll_event out;
  int n = epoll_wait(ep, &out, 1, timeout + sig_ms * 2);
  e = errno;
  snprintf(extra, sizeof extra, "\"handlerRan\":%d", (int)alarms);
  report("eintr-epoll", n, e, ms_since(t0), extra);

  emit("done", NULL);
  return 0;
}
