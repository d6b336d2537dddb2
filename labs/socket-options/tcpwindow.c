/*
 * TCP flow control with a receiver that stops reading: the sender writes TOTAL bytes through a
 * non-blocking socket and reports when it first blocks and when the peer's advertised receive
 * window reaches zero (TCP_INFO tcpi_snd_wnd); the receiver reads nothing until the lab's
 * go-ahead (SIGUSR1), then reads everything and checks every byte.
 *
 * usage: tcpwindow receiver ADDR PORT RCVBUF
 *        tcpwindow sender ADDR PORT TOTAL SNDBUF
 * receiver events: listening; accepted {pid}; done {bytes, corrupt}
 * sender events: connected {sport}; blocked {written}; zero-window {written, unacked, notsent};
 *                sent {written}
 */
#include "addr.h"
#include <linux/tcp.h> /* struct tcp_info with tcpi_snd_wnd (Linux 5.4+); not <netinet/tcp.h> */
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <unistd.h>

static const char *USAGE = "tcpwindow receiver ADDR PORT RCVBUF | tcpwindow sender ADDR PORT TOTAL SNDBUF";

static int receiver(int argc, char **argv) {
  if (argc != 5) usage_error(USAGE, "receiver: wrong number of arguments");
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
  int rcvbuf = (int)arg_int(USAGE, "RCVBUF", argv[4], 0, 1 << 30);
  go_signal_block();
  int fd = bound_socket(SOCK_STREAM, &addr, alen);
  /* On the listener, so the accepted socket has it from its SYN-ACK on. */
  if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) die("setsockopt(SO_RCVBUF)");
  if (listen(fd, 1) < 0) die("listen");
  emit("listening", NULL);
  int c = accept(fd, NULL, NULL);
  if (c < 0) die("accept");
  emit("accepted", "\"pid\":%d", (int)getpid());
  go_signal_wait();
  static unsigned char buf[65536];
  long got = 0, corrupt = 0;
  for (;;) {
    ssize_t n = read(c, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read");
    if (n == 0) break;
    for (ssize_t i = 0; i < n; i++)
      if (buf[i] != (unsigned char)((got + i) % 251)) corrupt++;
    got += n;
  }
  emit("done", "\"bytes\":%ld,\"corrupt\":%ld", got, corrupt);
  return 0;
}

static int sender(int argc, char **argv) {
  if (argc != 6) usage_error(USAGE, "sender: wrong number of arguments");
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
  long total = arg_int(USAGE, "TOTAL", argv[4], 1, 64L << 20);
  int sndbuf = (int)arg_int(USAGE, "SNDBUF", argv[5], 0, 1 << 30);
  int fd = socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) < 0) die("setsockopt(SO_SNDBUF)");
  if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
  emit("connected", "\"sport\":%d", local_port(fd));
  unsigned char *data = malloc((size_t)total);
  if (!data) die("malloc");
  for (long i = 0; i < total; i++) data[i] = (unsigned char)(i % 251);

  long written = 0;
  int blocked = 0, zero = 0;
  while (written < total) {
    ssize_t n = send(fd, data + written, (size_t)(total - written), MSG_DONTWAIT);
    if (n > 0) {
      written += n;
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) die("send");
    if (!blocked) {
      blocked = 1;
      emit("blocked", "\"written\":%ld", written);
    }
    if (!zero) {
      struct tcp_info ti;
      socklen_t tl = sizeof ti;
      memset(&ti, 0, sizeof ti);
      if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) < 0) die("getsockopt(TCP_INFO)");
      if (tl < offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof ti.tcpi_snd_wnd) {
        errno = ENOPROTOOPT;
        die("getsockopt(TCP_INFO.tcpi_snd_wnd)");
      }
      if (ti.tcpi_snd_wnd == 0) {
        zero = 1;
        emit("zero-window", "\"written\":%ld,\"unacked\":%u,\"notsent\":%u", written, ti.tcpi_unacked,
             ti.tcpi_notsent_bytes);
      }
    }
    /* Woken when there is room again; until the window is zero, look again every 5 ms. */
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (poll(&p, 1, zero ? -1 : 5) < 0 && errno != EINTR) die("poll");
  }
  emit("sent", "\"written\":%ld", written);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  static const struct probe_role roles[] = {
      {"receiver", receiver},
      {"sender", sender},
  };
  return run_role(argc, argv, USAGE, roles, sizeof roles / sizeof roles[0]);
}
