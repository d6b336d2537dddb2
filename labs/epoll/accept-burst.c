/*
 * The accept burst: CLIENTS connect at once to a listener watched by epoll; one epoll_wait
 * reports it once; then a loop of accept() runs until it fails. Three listeners, three ways:
 *   nonblocking  O_NONBLOCK listener, level-triggered: the loop takes all, then EAGAIN.
 *   blocking     blocking listener: the loop takes all, then accept() blocks; SO_RCVTIMEO on the
 *                listener bounds the hang to TIMEOUT_MS (accept(2) honours it, socket(7)).
 *   et-one       O_NONBLOCK listener, EPOLLET, one accept() per wakeup (a common bug): the next
 *                epoll_wait times out with connections still queued.
 *
 * usage: accept-burst PORT CLIENTS TIMEOUT_MS     (listeners on PORT, PORT+1, PORT+2)
 * events: burst {mode, port, queued, waits[], accepted, endErrno, blockedMs, leftQueued,
 *         secondWaitN, secondWaitMs}; done
 */
#include "epoll-util.h"

static const char *USAGE = "accept-burst PORT CLIENTS TIMEOUT_MS";
#define MAX_CLIENTS 64

static int clients[3][MAX_CLIENTS];

static void connect_all(int row, int port, int n) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (int i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) die("connect");
    clients[row][i] = fd;
  }
}

static void burst(int row, const char *mode, int port, int n, int timeout) {
  int nonblocking = strcmp(mode, "blocking") != 0;
  int et = strcmp(mode, "et-one") == 0;
  int lfd = listen_loopback(port, MAX_CLIENTS, 0);
  if (nonblocking) set_nonblock(lfd, 1);
  struct timeval tv = {.tv_sec = timeout / 1000, .tv_usec = (timeout % 1000) * 1000};
  if (!nonblocking && setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
    die("setsockopt(SO_RCVTIMEO)");
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN | (et ? EPOLLET : 0), .data.fd = lfd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) die("epoll_ctl(ADD)");

  connect_all(row, port, n);
  /* Harness: every handshake done, all n connections in the accept queue, before we look. */
  if (!wait_queue_len(lfd, n, 2000)) die("wait for the accept queue");
  int queued = accept_queue_len(lfd);

  struct epoll_event out[8];
  int wakeups = epoll_wait(ep, out, 8, timeout);
  if (wakeups < 0) die("epoll_wait");
  char mask[160];
  mask_json(wakeups > 0 ? out[0].events : 0, mask, sizeof mask);

  int accepted = 0, end = 0;
  double blocked_ms = 0;
  for (;;) {
    double t0 = now_s();
    int c = accept(lfd, NULL, NULL);
    double ms = ms_since(t0);
    if (c < 0) {
      end = errno;
      blocked_ms = ms;
      break;
    }
    accepted++;
    close(c);
    if (et) break; /* the bug: one accept per wakeup */
  }
  int left = accept_queue_len(lfd);
  double t1 = now_s();
  int second = epoll_wait(ep, out, 8, timeout);
  double second_ms = ms_since(t1);
  if (second < 0) die("epoll_wait");
  emit("burst",
       "\"mode\":\"%s\",\"port\":%d,\"queued\":%d,\"wakeups\":%d,\"events\":%s,\"accepted\":%d,"
       "\"endErrno\":\"%s\",\"lastAcceptMs\":%.3f,\"leftQueued\":%d,\"secondWaitN\":%d,\"secondWaitMs\":%.3f",
       mode, port, queued, wakeups, mask, accepted, end ? errno_name(end) : "none", blocked_ms, left,
       second, second_ms);
  close(ep);
  /* The listener stays open until exit: closing it would reset the connections still queued. */
}

int main(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[1]);
  int n = (int)arg_int(USAGE, "CLIENTS", argv[2], 1, MAX_CLIENTS);
  int timeout = (int)arg_int(USAGE, "TIMEOUT_MS", argv[3], 1, 10000);
  burst(0, "nonblocking", port, n, timeout);
  burst(1, "blocking", port + 1, n, timeout);
  burst(2, "et-one", port + 2, n, timeout);
  emit("done", NULL);
  for (;;) pause(); /* connections stay open until SIGTERM, so the capture ends before any FIN */
}
