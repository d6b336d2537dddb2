/*
 * udp: the UDP chapter's probe. One sender or receiver per process; every call's result is
 * reported as it happens, errors by errno name and strerror text.
 *
 * usage: udp recv ADDR PORT RCVBUF READS      bind ADDR:PORT (RCVBUF 0 = default SO_RCVBUF),
 *                                             wait for SIGUSR1, then do one recvmsg() per READS
 *                                             entry (SIZE or SIZEt = with the MSG_TRUNC flag),
 *                                             non-blocking, then one more to show the queue empty
 *        udp count ADDR PORT RCVBUF            bind, wait for SIGUSR1, read without blocking until
 *                                             the queue is empty; report how many datagrams
 *        udp send ADDR PORT SIZES              send() each SIZE as one datagram (comma list)
 *        udp flood ADDR PORT COUNT SIZE        send COUNT datagrams of SIZE bytes as fast as it can
 *        udp icmp ADDR PORT connected|unconnected|recverr
 *                                             send to a port nobody listens on; after each ICMP
 *                                             arrives (Icmp InDestUnreachs in /proc/net/snmp),
 *                                             try the next call: send, send, wait, recv
 *
 * events: bound {addr, pid, rcvbuf}; read {i, size, flags, ret, copied, truncated, errno};
 *         empty {errno}; counted {datagrams}; sent {i, size, ret|errno, message};
 *         icmp {n, waitedMs}; call {step, call, ret|errno, message}; errqueue {...}
 */
#include "addr.h"
#include <fcntl.h>
#include <linux/errqueue.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

static const char *USAGE =
    "udp recv ADDR PORT RCVBUF READS | udp count ADDR PORT RCVBUF | udp send ADDR PORT SIZES |\n"
    "       udp flood ADDR PORT COUNT SIZE | udp icmp ADDR PORT connected|unconnected|recverr";

static char buf[65536];

/* Icmp InDestUnreachs of this network namespace, from /proc/net/snmp (its second Icmp: line). */
static long icmp_in_dest_unreachs(void) {
  FILE *f = fopen("/proc/net/snmp", "r");
  if (!f) die("fopen(/proc/net/snmp)");
  char names[2048], values[2048];
  long result = -1;
  while (fgets(names, sizeof names, f)) {
    if (strncmp(names, "Icmp:", 5) != 0) continue;
    if (!fgets(values, sizeof values, f)) break;
    char *sn, *sv;
    char *n = strtok_r(names, " \n", &sn), *v = strtok_r(values, " \n", &sv);
    while (n && v) {
      if (strcmp(n, "InDestUnreachs") == 0) result = atol(v);
      n = strtok_r(NULL, " \n", &sn);
      v = strtok_r(NULL, " \n", &sv);
    }
    break;
  }
  fclose(f);
  if (result < 0) die("parse(/proc/net/snmp)");
  return result;
}

/* Waits (polling every 2 ms, at most 3 s) until the ICMP counter passes `seen`; reports it. */
static long wait_icmp(long seen) {
  double t0 = now_s();
  long n;
  while ((n = icmp_in_dest_unreachs()) <= seen) {
    if (now_s() - t0 > 3.0) {
      errno = ETIMEDOUT;
      die("wait(ICMP destination unreachable)");
    }
    usleep(2000);
  }
  emit("icmp", "\"n\":%ld,\"waitedMs\":%.3f", n, (now_s() - t0) * 1000);
  return n;
}

static int udp_receiver_socket(struct sockaddr_storage *addr, socklen_t alen, long rcvbuf) {
  int fd = socket(addr->ss_family, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(int)) < 0)
    die("setsockopt(SO_RCVBUF)");
  if (bind(fd, (struct sockaddr *)addr, alen) < 0) die("bind");
  int actual = 0;
  socklen_t sl = sizeof actual;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &sl) < 0) die("getsockopt(SO_RCVBUF)");
  char text[64];
  emit("bound", "\"addr\":\"%s\",\"pid\":%d,\"rcvbuf\":%d", format_addr(addr, text, sizeof text),
       (int)getpid(), actual);
  return fd;
}

static void wait_usr1(void) {
  go_signal_wait();
  emit("go", NULL);
}

/* One call's outcome as JSON fields: "ret":N or "errno":"E...","message":"...". */
static void outcome(const char *step, const char *call, ssize_t ret, int e) {
  if (ret >= 0)
    emit("call", "\"step\":\"%s\",\"call\":\"%s\",\"ret\":%zd", step, call, ret);
  else
    emit("call", "\"step\":\"%s\",\"call\":\"%s\",\"errno\":\"%s\",\"message\":\"%s\"", step, call,
         errno_name(e), strerror(e));
}

static void do_icmp(struct sockaddr_storage *addr, socklen_t alen, const char *mode) {
  int connected = strcmp(mode, "connected") == 0;
  int recverr = strcmp(mode, "recverr") == 0;
  if (!connected && !recverr && strcmp(mode, "unconnected") != 0) usage_error(USAGE, "bad icmp mode");
  int fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0) die("socket");
  int one = 1;
  if (recverr && setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one) < 0) die("setsockopt(IP_RECVERR)");
  if (connected && connect(fd, (struct sockaddr *)addr, alen) < 0) die("connect");
  memset(buf, 'u', 32);
  long seen = icmp_in_dest_unreachs();
#define SEND() (connected ? send(fd, buf, 32, 0) : sendto(fd, buf, 32, 0, (struct sockaddr *)addr, alen))
  ssize_t r = SEND();
  outcome("first", connected ? "send" : "sendto", r, errno);
  seen = wait_icmp(seen);
  /* The ICMP has been processed: does the next call hear of it? */
  r = SEND();
  outcome("after-icmp", connected ? "send" : "sendto", r, errno);
  if (r >= 0) seen = wait_icmp(seen);
  /* A third send, then the error (if any) as the next recv() sees it. */
  r = SEND();
  outcome("again", connected ? "send" : "sendto", r, errno);
  if (r >= 0) wait_icmp(seen);
  r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  outcome("recv", "recv", r, errno);
  if (recverr) {
    /* IP_RECVERR also queues each ICMP error with its origin on the socket's error queue. */
    int queued = 0;
    for (;;) {
      char control[512];
      struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
      struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
      if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR) continue;
        struct sock_extended_err *ee = (struct sock_extended_err *)CMSG_DATA(c);
        emit("errqueue", "\"errno\":\"%s\",\"origin\":%u,\"type\":%u,\"code\":%u", errno_name((int)ee->ee_errno),
             ee->ee_origin, ee->ee_type, ee->ee_code);
        queued++;
      }
    }
    emit("errqueue-done", "\"queued\":%d", queued);
  }
  emit("done", NULL);
}

int main(int argc, char **argv) {
  if (argc < 4) usage_error(USAGE, "wrong number of arguments");
  /* SIGUSR1 is blocked from the start so a signal sent right after "bound" is never lost. */
  go_signal_block();
  const char *mode = argv[1];
  int port = arg_port(USAGE, "PORT", argv[3]);
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], port, &addr);

  if (strcmp(mode, "recv") == 0 && argc == 6) {
    int fd = udp_receiver_socket(&addr, alen, arg_int(USAGE, "RCVBUF", argv[4], 0, 1 << 24));
    wait_usr1();
    int i = 0;
    char *save, *spec = strtok_r(argv[5], ",", &save);
    for (; spec; spec = strtok_r(NULL, ",", &save), i++) {
      size_t len = strlen(spec);
      int want_trunc = len && spec[len - 1] == 't';
      if (want_trunc) spec[len - 1] = 0;
      long size = arg_int(USAGE, "READS", spec, 0, sizeof buf);
      struct iovec iov = {.iov_base = buf, .iov_len = (size_t)size};
      struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
      ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | (want_trunc ? MSG_TRUNC : 0));
      if (n < 0) {
        emit("read", "\"i\":%d,\"size\":%ld,\"flags\":\"%s\",\"errno\":\"%s\"", i, size,
             want_trunc ? "MSG_TRUNC" : "0", errno_name(errno));
        continue;
      }
      emit("read", "\"i\":%d,\"size\":%ld,\"flags\":\"%s\",\"ret\":%zd,\"copied\":%ld,\"truncated\":%s", i, size,
           want_trunc ? "MSG_TRUNC" : "0", n, n > size ? size : (long)n,
           (msg.msg_flags & MSG_TRUNC) ? "true" : "false");
    }
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    emit("empty", "\"ret\":%zd,\"errno\":\"%s\"", n, n < 0 ? errno_name(errno) : "");
  } else if (strcmp(mode, "count") == 0 && argc == 5) {
    int fd = udp_receiver_socket(&addr, alen, arg_int(USAGE, "RCVBUF", argv[4], 0, 1 << 24));
    wait_usr1();
    long count = 0, bytes = 0;
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) >= 0) {
      count++;
      bytes += n;
    }
    if (errno != EAGAIN) die("recv");
    emit("counted", "\"datagrams\":%ld,\"bytes\":%ld", count, bytes);
  } else if (strcmp(mode, "send") == 0 && argc == 5) {
    int fd = socket(addr.ss_family, SOCK_DGRAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
    int i = 0;
    char *save, *spec = strtok_r(argv[4], ",", &save);
    for (; spec; spec = strtok_r(NULL, ",", &save), i++) {
      long size = arg_int(USAGE, "SIZES", spec, 0, sizeof buf);
      memset(buf, 'a' + i % 26, (size_t)size);
      ssize_t r = send(fd, buf, (size_t)size, 0);
      if (r < 0) emit("sent", "\"i\":%d,\"size\":%ld,\"errno\":\"%s\"", i, size, errno_name(errno));
      else emit("sent", "\"i\":%d,\"size\":%ld,\"ret\":%zd", i, size, r);
    }
    emit("done", "\"sport\":%d", local_port(fd));
  } else if (strcmp(mode, "flood") == 0 && argc == 6) {
    long count = arg_int(USAGE, "COUNT", argv[4], 1, 1000000);
    long size = arg_int(USAGE, "SIZE", argv[5], 0, sizeof buf);
    int fd = socket(addr.ss_family, SOCK_DGRAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
    long ok = 0, failed = 0;
    const char *first_errno = "";
    double t0 = now_s();
    for (long i = 0; i < count; i++) {
      memcpy(buf, &i, sizeof i);
      if (send(fd, buf, (size_t)size, 0) == (ssize_t)size) ok++;
      else if (!failed++) first_errno = errno_name(errno);
    }
    emit("flooded", "\"sent\":%ld,\"failed\":%ld,\"firstErrno\":\"%s\",\"seconds\":%.6f", ok, failed, first_errno,
         now_s() - t0);
  } else if (strcmp(mode, "icmp") == 0 && argc == 5) {
    do_icmp(&addr, alen, argv[4]);
  } else {
    usage_error(USAGE, "unknown mode or wrong number of arguments");
  }
  for (;;) pause(); /* keep the socket until SIGTERM */
}
