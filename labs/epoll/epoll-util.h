/*
 * Helpers shared by the epoll chapter's probes: event masks as JSON name lists, a connected TCP
 * pair over loopback, O_NONBLOCK toggles and a bounded wait on a TCP_INFO state. Everything runs
 * inside one network namespace on 127.0.0.1; ports are given by the lab so captures are readable.
 */
#ifndef EPOLL_UTIL_H
#define EPOLL_UTIL_H

#include "addr.h"
#include "tcp_info.h"
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

/* An epoll/poll event mask as a JSON array of names, e.g. ["EPOLLIN","EPOLLRDHUP"]. */
static inline const char *mask_json(unsigned int m, char *buf, size_t len) {
  static const struct { unsigned int bit; const char *name; } names[] = {
      {EPOLLIN, "EPOLLIN"},   {EPOLLPRI, "EPOLLPRI"},     {EPOLLOUT, "EPOLLOUT"},
      {EPOLLERR, "EPOLLERR"}, {EPOLLHUP, "EPOLLHUP"},     {EPOLLRDHUP, "EPOLLRDHUP"},
      {EPOLLRDNORM, "EPOLLRDNORM"}, {EPOLLWRNORM, "EPOLLWRNORM"},
  };
  size_t used = (size_t)snprintf(buf, len, "[");
  int first = 1;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (!(m & names[i].bit)) continue;
    used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"", first ? "" : ",", names[i].name);
    first = 0;
  }
  snprintf(buf + used, len - used, "]");
  return buf;
}

static inline double ms_since(double t0) { return (now_s() - t0) * 1000.0; }

static inline void set_nonblock(int fd, int on) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) die("fcntl(F_GETFL)");
  if (fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0) die("fcntl(F_SETFL)");
}

static inline int has_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) die("fcntl(F_GETFL)");
  return (fl & O_NONBLOCK) != 0;
}

/* A listening socket on 127.0.0.1:port. */
static inline int listen_loopback(int port, int backlog, int reuseport) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("setsockopt(SO_REUSEADDR)");
  if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
    die("setsockopt(SO_REUSEPORT)");
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(fd, backlog) < 0) die("listen");
  return fd;
}

/* A blocking connect() to 127.0.0.1:port; TCP_NODELAY so small writes leave at once. */
static inline int connect_loopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("setsockopt(TCP_NODELAY)");
  return fd;
}

/* One established connection through listener lfd: *client is the connecting end. */
static inline int accept_pair(int lfd, int port, int *client) {
  *client = connect_loopback(port);
  int s = accept(lfd, NULL, NULL);
  if (s < 0) die("accept");
  int one = 1;
  if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("setsockopt(TCP_NODELAY)");
  return s;
}


/* For a LISTEN socket TCP_INFO's tcpi_unacked is the accept queue length (sk_ack_backlog). */
static inline int accept_queue_len(int lfd) {
  struct tcp_info ti;
  socklen_t sl = sizeof ti;
  if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) die("getsockopt(TCP_INFO)");
  return (int)ti.tcpi_unacked;
}

/* Polls (1 ms steps) until the state is reached; 0 if it is not within limit_ms. A readiness
 * wait for the harness, never part of what is observed. */
static inline int wait_state(int fd, int state, int limit_ms) {
  for (int i = 0; i < limit_ms; i++) {
    if (tcp_state(fd) == state) return 1;
    usleep(1000);
  }
  return tcp_state(fd) == state;
}

static inline int wait_queue_len(int lfd, int want, int limit_ms) {
  for (int i = 0; i < limit_ms; i++) {
    if (accept_queue_len(lfd) >= want) return 1;
    usleep(1000);
  }
  return accept_queue_len(lfd) >= want;
}

#endif
