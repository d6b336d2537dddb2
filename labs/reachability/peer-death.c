/*
 * peer-death: a client with two connections to one server, waiting for answers, while the
 * server process is killed.
 *
 * usage: peer-death ADDR PORT
 *
 * Opens two connections: "idle" sends nothing; "asking" sends a request the server will never
 * read, and the probe waits until the server's kernel has acknowledged it (TCP_INFO unacked 0),
 * so the request sits unread in the server's receive queue. Then it waits in poll() on both, the
 * way a client waits for replies, and reports what recv() returns on each as it becomes
 * readable. Finally it writes twice on the connection that saw end-of-file: the first write is
 * accepted by its own kernel, the peer's kernel answers it, and the probe reports the second
 * write's errno after poll() shows the socket's error.
 * events: connected {which, sport}; ready; recv {which, ret, errno, message, state};
 *         write {n, ret, errno, state}
 */
#include "addr.h"
#include "tcp_info.h"
#include <poll.h>
#include <unistd.h>

static const char *USAGE = "peer-death ADDR PORT";
static const char REQUEST[] = "GET /answer-me\n";

static void wait_acked(int fd) {
  double deadline = now_s() + 5;
  for (;;) {
    struct tcp_info ti;
    socklen_t sl = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) die("getsockopt(TCP_INFO)");
    if (ti.tcpi_unacked == 0) return;
    if (now_s() > deadline) {
      errno = ETIMEDOUT;
      die("wait for the request's ACK");
    }
    usleep(500);
  }
}

int main(int argc, char **argv) {
  if (argc != 3) usage_error(USAGE, "wrong number of arguments");
  signal(SIGPIPE, SIG_IGN); /* a write after the reset must report EPIPE, not kill the probe */
  int port = arg_port(USAGE, "PORT", argv[2]);
  const char *names[2] = {"idle", "asking"};
  int fds[2];
  for (int i = 0; i < 2; i++) {
    fds[i] = connect_to(USAGE, argv[1], port);
    emit("connected", "\"which\":\"%s\",\"sport\":%d", names[i], local_port(fds[i]));
  }
  if (write(fds[1], REQUEST, sizeof REQUEST - 1) < 0) die("write");
  wait_acked(fds[1]);
  emit("ready", "\"requestBytes\":%zu", sizeof REQUEST - 1);

  struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
  int pending = 2, eof = -1;
  while (pending > 0) {
    int n = poll(p, 2, 30000);
    if (n < 0) die("poll");
    if (n == 0) {
      errno = ETIMEDOUT;
      die("poll(30 s without an answer)");
    }
    for (int i = 0; i < 2; i++) {
      if (p[i].fd < 0 || !p[i].revents) continue;
      char buf[64];
      ssize_t r = recv(fds[i], buf, sizeof buf, 0);
      int e = errno;
      emit("recv", "\"which\":\"%s\",\"ret\":%zd,\"errno\":\"%s\",\"message\":\"%s\",\"state\":\"%s\"",
           names[i], r, r < 0 ? errno_name(e) : "", r < 0 ? strerror(e) : "", tcp_state_name(tcp_state(fds[i])));
      if (r == 0) eof = i;
      p[i].fd = -1;
      pending--;
    }
  }
  if (eof < 0) return 0;

  int fd = fds[eof];
  ssize_t w = write(fd, "more", 4);
  int e = errno;
  emit("write", "\"n\":1,\"ret\":%zd,\"errno\":\"%s\",\"state\":\"%s\"", w, w < 0 ? errno_name(e) : "",
       tcp_state_name(tcp_state(fd)));
  /* The answer to that write is a reset: poll() reports it as an error on the socket. */
  struct pollfd q = {.fd = fd, .events = 0};
  if (poll(&q, 1, 5000) < 0) die("poll");
  w = write(fd, "more", 4);
  e = errno;
  emit("write", "\"n\":2,\"ret\":%zd,\"errno\":\"%s\",\"state\":\"%s\",\"revents\":%d", w,
       w < 0 ? errno_name(e) : "", tcp_state_name(tcp_state(fd)), q.revents);
  for (;;) pause();
  return 0;
}
