/*
 * reach: what a client program sees when a server cannot be reached, by errno name and
 * strerror() text, with how long it took.
 *
 * usage: reach connect ADDR PORT       one blocking connect(), as most programs do it
 *        reach writer ADDR PORT        connect, wait for SIGUSR1, write 100 bytes, then wait
 *                                      (poll, at most 60 s) for the connection to fail
 *
 * events: connected {sport, elapsedS}; failed {call, errno, message, elapsedS, totalRetrans};
 *         wrote {ret}; error {call, errno, message, afterS, totalRetrans, retransmits}
 */
#include "addr.h"
#include "tcp_info.h"
#include <poll.h>
#include <signal.h>
#include <unistd.h>

static const char *USAGE = "reach connect ADDR PORT | reach writer ADDR PORT";

static unsigned total_retrans(int fd) {
  struct tcp_info ti;
  socklen_t sl = sizeof ti;
  memset(&ti, 0, sizeof ti);
  getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl);
  return ti.tcpi_total_retrans;
}

int main(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "wrong number of arguments");
  go_signal_block();
  signal(SIGPIPE, SIG_IGN);
  int writer = strcmp(argv[1], "writer") == 0;
  if (!writer && strcmp(argv[1], "connect") != 0) usage_error(USAGE, "unknown mode");
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);

  int fd = socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  emit("connecting", "\"pid\":%d", (int)getpid());
  double t0 = now_s();
  if (connect(fd, (struct sockaddr *)&addr, alen) < 0) {
    int e = errno;
    emit("failed", "\"call\":\"connect\",\"errno\":\"%s\",\"message\":\"%s\",\"elapsedS\":%.6f,\"totalRetrans\":%u",
         errno_name(e), strerror(e), now_s() - t0, total_retrans(fd));
    for (;;) pause();
  }
  emit("connected", "\"sport\":%d,\"elapsedS\":%.6f", local_port(fd), now_s() - t0);
  if (!writer) for (;;) pause();

  go_signal_wait();
  char data[100];
  memset(data, 'w', sizeof data);
  double tw = now_s();
  ssize_t w = write(fd, data, sizeof data);
  emit("wrote", "\"ret\":%zd", w);
  /* The write went into the send buffer; the failure arrives later, as an error on the socket. */
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int n = poll(&p, 1, 60000);
  if (n < 0) die("poll");
  if (n == 0) {
    errno = ETIMEDOUT;
    die("poll(no error within 60 s)");
  }
  char b[16];
  ssize_t r = read(fd, b, sizeof b);
  int e = r < 0 ? errno : 0;
  struct tcp_info ti;
  socklen_t sl = sizeof ti;
  memset(&ti, 0, sizeof ti);
  getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl);
  emit("error", "\"call\":\"read\",\"ret\":%zd,\"errno\":\"%s\",\"message\":\"%s\",\"afterS\":%.6f,\"totalRetrans\":%u,\"state\":\"%s\"",
       r, r < 0 ? errno_name(e) : "", r < 0 ? strerror(e) : "", now_s() - tw, ti.tcpi_total_retrans,
       tcp_state_name(ti.tcpi_state));
  r = write(fd, data, sizeof data);
  emit("write-after", "\"ret\":%zd,\"errno\":\"%s\",\"message\":\"%s\"", r, r < 0 ? errno_name(errno) : "",
       r < 0 ? strerror(errno) : "");
  for (;;) pause();
}
