/*
 * stream: one TCP or UDP sender and one receiver, to compare what the application writes, what
 * leaves as segments or datagrams, and what the other application reads.
 *
 * usage: stream recv tcp|udp ADDR PORT BUFSIZE now|signal [send=N]
 *        stream send tcp|udp ADDR PORT SIZE[,SIZE...] [nodelay] [maxseg=N]
 *
 * recv binds ADDR:PORT (tcp: listens and accepts one connection). With `now` it reads at once
 * until EOF; with `signal` it waits for SIGUSR1 first, then reads what is queued without
 * blocking (MSG_DONTWAIT) until EAGAIN, so every read shows how much the kernel hands over in one
 * call (UDP blocks up to 500 ms per read instead). BUFSIZE is the buffer of each read. `send=N` (tcp) writes N bytes back after accept().
 * send connects, writes each SIZE in one send() call, then (tcp) waits until every byte is
 * acknowledged (TCP_INFO unacked = 0 and no bytes in the send queue) and holds the connection.
 *
 * events: listening {addr, pid}; accepted {peer, tcp_info...}; connected {tcp_info...};
 *         wrote {i, size, ret} | wrote {i, size, errno}; acked {tcp_info...};
 *         read {i, ret, truncated, full}; drained {reads, total}; eof {reads, total};
 *         received {total, tcp_info...} (tcp, after EOF or drain)
 */
#include "addr.h"
#include "tcp_info.h"
#include <linux/sockios.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *USAGE =
    "stream recv tcp|udp ADDR PORT BUFSIZE now|signal [send=N]\n"
    "       stream send tcp|udp ADDR PORT SIZE[,SIZE...] [nodelay] [maxseg=N]";
#define MAX_WRITES 64
#define MAX_BUF (1 << 20)

static char buf[MAX_BUF];

static void fill(char *p, size_t n, int seed) {
  for (size_t i = 0; i < n; i++) p[i] = (char)('a' + (seed + i) % 26);
}

static _Noreturn void do_recv(int tcp, struct sockaddr_storage *addr, socklen_t alen, long bufsize,
                   int on_signal, long send_back) {
  /* Blocked from the start so a signal sent right after "listening" is never lost. */
  go_signal_block();

  int fd = bound_socket(tcp ? SOCK_STREAM : SOCK_DGRAM, addr, alen);
  if (tcp && listen(fd, 8) < 0) die("listen");
  char text[64], info[768];
  emit("listening", "\"addr\":\"%s\",\"pid\":%d", format_addr(addr, text, sizeof text), (int)getpid());

  int c = fd;
  if (tcp) {
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    c = accept(fd, (struct sockaddr *)&peer, &plen);
    if (c < 0) die("accept");
    emit("accepted", "\"peer\":\"%s\",%s", format_addr(&peer, text, sizeof text),
         tcp_info_json(c, info, sizeof info));
    if (send_back > 0) {
      fill(buf, (size_t)send_back, 0);
      ssize_t w = write(c, buf, (size_t)send_back);
      if (w < 0) die("write");
      emit("wrote", "\"i\":0,\"size\":%ld,\"ret\":%zd", send_back, w);
    }
  }
  if (on_signal && !tcp) {
    /* UDP: block up to 100 ms per read instead of MSG_DONTWAIT, in case a datagram is still on
       its way through the receive softirq (on a veth that normally finishes before the sender's
       sendto() returns); each read still returns at most one datagram. */
    struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
    if (setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) die("setsockopt(SO_RCVTIMEO)");
  }
  if (on_signal) {
    go_signal_wait();
    emit("go", NULL);
  }

  long total = 0;
  int reads = 0;
  for (;;) {
    struct iovec iov = {.iov_base = buf, .iov_len = (size_t)bufsize};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    /* MSG_TRUNC on UDP: the return value is the datagram's real length even if it did not fit. */
    int flags = (on_signal && tcp ? MSG_DONTWAIT : 0) | (tcp ? 0 : MSG_TRUNC);
    ssize_t n = recvmsg(c, &msg, flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        emit("drained", "\"reads\":%d,\"total\":%ld", reads, total);
        break;
      }
      die("recvmsg");
    }
    if (n == 0 && tcp) {
      emit("eof", "\"reads\":%d,\"total\":%ld", reads, total);
      break;
    }
    long got = n > bufsize ? bufsize : n;
    emit("read", "\"i\":%d,\"ret\":%zd,\"copied\":%ld,\"truncated\":%s", reads, n, got,
         (msg.msg_flags & MSG_TRUNC) ? "true" : "false");
    reads++;
    total += got;
  }
  if (tcp) emit("received", "\"total\":%ld,%s", total, tcp_info_json(c, info, sizeof info));
  for (;;) pause(); /* keep the socket until SIGTERM */
}

static _Noreturn void do_send(int tcp, struct sockaddr_storage *addr, socklen_t alen, long *sizes, int count,
                   int nodelay, long maxseg) {
  int fd = socket(addr->ss_family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  int one = 1;
  if (nodelay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
    die("setsockopt(TCP_NODELAY)");
  if (maxseg > 0) {
    int v = (int)maxseg;
    if (setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof v) < 0) die("setsockopt(TCP_MAXSEG)");
  }
  if (connect(fd, (struct sockaddr *)addr, alen) < 0) die("connect");
  char info[768];
  if (tcp) emit("connected", "%s", tcp_info_json(fd, info, sizeof info));
  else emit("connected", "\"sport\":%d", local_port(fd));

  for (int i = 0; i < count; i++) {
    fill(buf, (size_t)sizes[i], i);
    ssize_t w = send(fd, buf, (size_t)sizes[i], 0);
    if (w < 0) emit("wrote", "\"i\":%d,\"size\":%ld,\"errno\":\"%s\"", i, sizes[i], errno_name(errno));
    else emit("wrote", "\"i\":%d,\"size\":%ld,\"ret\":%zd", i, sizes[i], w);
  }
  if (tcp) {
    /* Wait (bounded) until the peer has acknowledged everything: then it all sits in its queue. */
    double deadline = now_s() + 10;
    for (;;) {
      struct tcp_info ti;
      socklen_t sl = sizeof ti;
      int outq = 0;
      if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) die("getsockopt(TCP_INFO)");
      if (ioctl(fd, SIOCOUTQ, &outq) < 0) die("ioctl(SIOCOUTQ)");
      if (outq == 0 && ti.tcpi_unacked == 0) break;
      if (now_s() > deadline) {
        emit("unacked", "\"outq\":%d,%s", outq, tcp_info_json(fd, info, sizeof info));
        break;
      }
      usleep(1000);
    }
    emit("acked", "%s", tcp_info_json(fd, info, sizeof info));
  } else {
    emit("sent", "\"count\":%d", count);
  }
  for (;;) pause(); /* hold the connection until SIGTERM */
}

int main(int argc, char **argv) {
  if (argc < 6) usage_error(USAGE, "wrong number of arguments");
  int recv_mode = strcmp(argv[1], "recv") == 0;
  if (!recv_mode && strcmp(argv[1], "send") != 0) usage_error(USAGE, "mode must be recv or send");
  int tcp = strcmp(argv[2], "tcp") == 0;
  if (!tcp && strcmp(argv[2], "udp") != 0) usage_error(USAGE, "protocol must be tcp or udp");
  int port = arg_port(USAGE, "PORT", argv[4]);
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[3], port, &addr);

  if (recv_mode) {
    if (argc < 7 || argc > 8) usage_error(USAGE, "recv takes BUFSIZE, now|signal and optional send=N");
    long bufsize = arg_int(USAGE, "BUFSIZE", argv[5], 1, MAX_BUF);
    int on_signal = strcmp(argv[6], "signal") == 0;
    if (!on_signal && strcmp(argv[6], "now") != 0) usage_error(USAGE, "expected now or signal");
    long send_back = 0;
    if (argc == 8) {
      if (strncmp(argv[7], "send=", 5) != 0) usage_error(USAGE, "expected send=N");
      send_back = arg_int(USAGE, "send", argv[7] + 5, 1, MAX_BUF);
    }
    do_recv(tcp, &addr, alen, bufsize, on_signal, send_back);
  }

  long sizes[MAX_WRITES];
  int count = 0;
  char *list = argv[5];
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    if (count == MAX_WRITES) usage_error(USAGE, "too many sizes");
    sizes[count++] = arg_int(USAGE, "SIZE", tok, 1, MAX_BUF);
  }
  if (count == 0) usage_error(USAGE, "no SIZE given");
  int nodelay = 0;
  long maxseg = 0;
  for (int i = 6; i < argc; i++) {
    if (strcmp(argv[i], "nodelay") == 0) nodelay = 1;
    else if (strncmp(argv[i], "maxseg=", 7) == 0) maxseg = arg_int(USAGE, "maxseg", argv[i] + 7, 88, 65535);
    else usage_error(USAGE, "unknown option");
  }
  do_send(tcp, &addr, alen, sizes, count, nodelay, maxseg);
}
