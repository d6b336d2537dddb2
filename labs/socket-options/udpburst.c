/*
 * A UDP burst into a receiver that is not reading: the receiver binds with a chosen SO_RCVBUF and
 * SO_RXQ_OVFL (the kernel then reports, with each datagram, how many it has dropped on this
 * socket so far), waits for the lab's go-ahead (SIGUSR1) and only then drains its queue.
 *
 * usage: udpburst receiver ADDR PORT RCVBUF      (RCVBUF 0: leave the default)
 *        udpburst sender ADDR PORT COUNT SIZE
 * receiver events: ready {pid, rcvbuf}; drained {datagrams, bytes, dropped}; late {bytes, dropped}
 *   (`dropped` is the SO_RXQ_OVFL count on the last datagram read; after draining, the receiver
 *   waits for one more datagram and reports the count it carries)
 * sender events: sent {count, size, errors}
 */
#include "addr.h"
#include <signal.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *USAGE = "udpburst receiver ADDR PORT RCVBUF | udpburst sender ADDR PORT COUNT SIZE";

static int receiver(int argc, char **argv) {
  if (argc != 5) usage_error(USAGE, "receiver: wrong number of arguments");
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
  int rcvbuf = (int)arg_int(USAGE, "RCVBUF", argv[4], 0, 1 << 30);
  go_signal_block();

  int fd = socket(addr.ss_family, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) die("setsockopt(SO_RCVBUF)");
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) < 0) die("setsockopt(SO_RXQ_OVFL)");
  if (bind(fd, (struct sockaddr *)&addr, alen) < 0) die("bind");
  int actual = 0;
  socklen_t l = sizeof actual;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &l) < 0) die("getsockopt(SO_RCVBUF)");
  emit("ready", "\"pid\":%d,\"requested\":%d,\"rcvbuf\":%d", (int)getpid(), rcvbuf, actual);

  go_signal_wait();

  long datagrams = 0, bytes = 0;
  unsigned dropped = 0;
  char buf[65536];
  char control[CMSG_SPACE(sizeof(unsigned))];
  for (;;) {
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) die("recvmsg");
    datagrams++;
    bytes += n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) memcpy(&dropped, CMSG_DATA(c), sizeof dropped);
  }
  emit("drained", "\"datagrams\":%ld,\"bytes\":%ld,\"dropped\":%u", datagrams, bytes, dropped);

  /* The drop count rides on each datagram as it is queued, so only a datagram queued after the
   * drops can report them: wait (blocking) for one more. */
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t n;
  do n = recvmsg(fd, &msg, 0); while (n < 0 && errno == EINTR);
  if (n < 0) die("recvmsg(late)");
  unsigned late = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) memcpy(&late, CMSG_DATA(c), sizeof late);
  emit("late", "\"bytes\":%zd,\"dropped\":%u", n, late);
  return 0;
}

static int sender(int argc, char **argv) {
  if (argc != 6) usage_error(USAGE, "sender: wrong number of arguments");
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
  int count = (int)arg_int(USAGE, "COUNT", argv[4], 1, 100000);
  size_t size = (size_t)arg_int(USAGE, "SIZE", argv[5], 1, 1472);
  int fd = socket(addr.ss_family, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  char buf[1472];
  memset(buf, 'u', sizeof buf);
  int errors = 0;
  for (int i = 0; i < count; i++)
    if (sendto(fd, buf, size, 0, (struct sockaddr *)&addr, alen) != (ssize_t)size) errors++;
  emit("sent", "\"count\":%d,\"size\":%zu,\"errors\":%d", count, size, errors);
  return 0;
}

int main(int argc, char **argv) {
  static const struct probe_role roles[] = {
      {"receiver", receiver},
      {"sender", sender},
  };
  return run_role(argc, argv, USAGE, roles, sizeof roles / sizeof roles[0]);
}
