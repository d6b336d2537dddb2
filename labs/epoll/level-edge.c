/*
 * Level- vs edge-triggered epoll, the scenario of epoll(7) run step by step, on a pipe and on a
 * TCP connection over loopback, once registered without and once with EPOLLET:
 *   write 2048 bytes; epoll_wait; read 1024; epoll_wait again (LT: reported, ET: times out);
 *   write 1 more byte while 1024 are still unread; epoll_wait (does ET report again?);
 *   the edge-triggered pattern: O_NONBLOCK and read until EAGAIN; epoll_wait once drained.
 *
 * usage: level-edge PORT TIMEOUT_MS
 * events: step {kind, mode, step, n, events[], ms, timedOut, pending}; drain {kind, mode, reads[],
 *         bytes, endErrno}; done
 */
#include "epoll-util.h"
#include <sys/ioctl.h>

static const char *USAGE = "level-edge PORT TIMEOUT_MS";

/* Bytes waiting to be read (FIONREAD works on pipes and TCP sockets alike). */
static int pending(int fd) {
  int n = 0;
  if (ioctl(fd, FIONREAD, &n) < 0) die("ioctl(FIONREAD)");
  return n;
}

static void wait_step(int ep, int rfd, const char *kind, const char *mode, const char *step, int timeout) {
  struct epoll_event ev[4];
  double t0 = now_s();
  int n = epoll_wait(ep, ev, 4, timeout);
  double ms = ms_since(t0);
  if (n < 0) die("epoll_wait");
  char mask[160];
  emit("step", "\"kind\":\"%s\",\"mode\":\"%s\",\"step\":\"%s\",\"n\":%d,\"events\":%s,\"ms\":%.3f,\"timedOut\":%s,\"pending\":%d",
       kind, mode, step, n, mask_json(n > 0 ? ev[0].events : 0, mask, sizeof mask), ms,
       n == 0 ? "true" : "false", pending(rfd));
}

static void put(int wfd, size_t len) {
  static char buf[4096];
  memset(buf, 'x', sizeof buf);
  if (write(wfd, buf, len) != (ssize_t)len) die("write");
}

static void scenario(const char *kind, const char *mode, int rfd, int wfd, int timeout) {
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN | (strcmp(mode, "et") == 0 ? EPOLLET : 0), .data.fd = rfd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev) < 0) die("epoll_ctl(ADD)");
  char buf[4096];

  put(wfd, 2048);
  wait_step(ep, rfd, kind, mode, "after-write-2048", timeout);
  if (read(rfd, buf, 1024) != 1024) die("read(1024)");
  wait_step(ep, rfd, kind, mode, "after-read-1024", timeout);
  put(wfd, 1);
  wait_step(ep, rfd, kind, mode, "after-write-1-more", timeout);

  /* The edge-triggered pattern: a non-blocking fd, read until EAGAIN. */
  set_nonblock(rfd, 1);
  char reads[256];
  size_t used = (size_t)snprintf(reads, sizeof reads, "[");
  int bytes = 0, end = 0;
  for (int i = 0; i < 16; i++) {
    ssize_t r = read(rfd, buf, sizeof buf);
    if (r > 0) {
      bytes += (int)r;
      used += (size_t)snprintf(reads + used, sizeof reads - used, "%s%zd", i ? "," : "", r);
      continue;
    }
    end = r == 0 ? 0 : errno;
    used += (size_t)snprintf(reads + used, sizeof reads - used, "%s\"%s\"", i ? "," : "",
                             r == 0 ? "EOF" : errno_name(errno));
    break;
  }
  snprintf(reads + used, sizeof reads - used, "]");
  emit("drain", "\"kind\":\"%s\",\"mode\":\"%s\",\"reads\":%s,\"bytes\":%d,\"endErrno\":\"%s\"", kind, mode,
       reads, bytes, end ? errno_name(end) : "EOF");
  wait_step(ep, rfd, kind, mode, "after-drain", timeout);
  close(ep);
}

int main(int argc, char **argv) {
  if (argc != 3) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[1]);
  int timeout = (int)arg_int(USAGE, "TIMEOUT_MS", argv[2], 1, 10000);
  const char *modes[] = {"lt", "et"};

  for (int m = 0; m < 2; m++) {
    int p[2];
    if (pipe(p) < 0) die("pipe");
    scenario("pipe", modes[m], p[0], p[1], timeout);
    close(p[0]);
    close(p[1]);
  }
  int lfd = listen_loopback(port, 8, 0);
  for (int m = 0; m < 2; m++) {
    int client;
    int s = accept_pair(lfd, port, &client);
    scenario("tcp", modes[m], s, client, timeout);
    close(client);
    close(s);
  }
  emit("done", NULL);
  return 0;
}
