/*
 * The accept-queue race: a client whose final ACK reaches a listener after its accept queue has
 * filled up.
 *
 * usage: race server ADDR PORT BACKLOG ACCEPTS
 *        race client ADDR PORT FILLERS LATE WAIT_MS
 *
 * server: listens with BACKLOG and calls nothing until SIGUSR1; then it accept()s ACCEPTS
 *   connections one by one (blocking, in queue order), writes a 5-byte greeting on each, and
 *   finally tries one more accept() without blocking to show what is left in the queue.
 *   events: listening {backlog}; accepted {n, peerPort, ...TCP_INFO}; left {ret, errno, peerPort}
 *
 * client: first the racing connection. It sets TCP_QUICKACK to 0 (tcp(7)) before connect(): the
 *   socket is then in "pingpong" (interactive) mode, so tcp_rcv_synsent_state_process() does not
 *   send the handshake's final ACK at once but schedules it as a delayed ACK (TCP_DELACK_MAX,
 *   200 ms). connect() still returns as soon as the SYN-ACK arrives: the client is ESTABLISHED
 *   while the server holds only a request. The 200 ms stand in for a long round trip. Right
 *   behind it, FILLERS ordinary blocking connect()s complete and fill the accept queue, and with
 *   LATE 1 one more non-blocking connect() sends a SYN into the full queue (it is reported
 *   and closed after the read, before its SYN would be retransmitted). Then the racing
 *   connection waits up to WAIT_MS for something to read, the way a client waits for a server's
 *   greeting, and reports recv(); after an error it writes once more and reports that errno too.
 *   events: connected {role, sport, ...TCP_INFO}; connecting {role: late, sport}; filled {afterS};
 *           read {ret, errno, bytes, afterS, state}; write {ret, errno}; late {afterS, ...TCP_INFO}
 */
#include "addr.h"
#include "tcp_info.h"
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

static const char *USAGE = "race server ADDR PORT BACKLOG ACCEPTS | race client ADDR PORT FILLERS LATE WAIT_MS";
static const char GREETING[] = "hello";

static int peer_port(const struct sockaddr_storage *ss) {
  return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                        : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static int server(int argc, char **argv) {
  if (argc != 6) usage_error(USAGE, "server: wrong number of arguments");
  int backlog = (int)arg_int(USAGE, "BACKLOG", argv[4], 0, 4096);
  int accepts = (int)arg_int(USAGE, "ACCEPTS", argv[5], 0, 64);
  go_signal_block();
  struct sockaddr_storage ss;
  int fd = tcp_listener(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), backlog, 1, &ss);
  emit("listening", "\"backlog\":%d", backlog);
  go_signal_wait();

  char info[768];
  for (int n = 1; n <= accepts; n++) {
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int c = accept(fd, (struct sockaddr *)&peer, &plen);
    if (c < 0) die("accept");
    if (write(c, GREETING, sizeof GREETING - 1) < 0) die("write");
    emit("accepted", "\"n\":%d,\"peerPort\":%d,%s", n, peer_port(&peer), tcp_info_json(c, info, sizeof info));
  }
  if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) die("fcntl(O_NONBLOCK)");
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  int c = accept(fd, (struct sockaddr *)&peer, &plen);
  int e = errno;
  emit("left", "\"ret\":%d,\"errno\":\"%s\",\"peerPort\":%d", c < 0 ? -1 : 0, c < 0 ? errno_name(e) : "",
       c < 0 ? 0 : peer_port(&peer));
  for (;;) pause(); /* keep every accepted connection open until SIGTERM */
  return 0;
}

static int client(int argc, char **argv) {
  if (argc != 7) usage_error(USAGE, "client: wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[3]);
  int fillers = (int)arg_int(USAGE, "FILLERS", argv[4], 0, 16);
  int late = (int)arg_int(USAGE, "LATE", argv[5], 0, 1);
  int wait_ms = (int)arg_int(USAGE, "WAIT_MS", argv[6], 0, 600000);
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], port, &addr);
  char info[768];

  /* The racing connection: its final ACK waits for the delayed-ACK timer. */
  int fd = socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  int zero = 0;
  if (setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero) < 0) die("setsockopt(TCP_QUICKACK)");
  if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
  double t0 = now_s();
  emit("connected", "\"role\":\"racer\",\"sport\":%d,%s", local_port(fd), tcp_info_json(fd, info, sizeof info));

  /* Ordinary connections, right behind it: their final ACKs go out at once and fill the queue. */
  for (int i = 0; i < fillers; i++) {
    int f = socket(addr.ss_family, SOCK_STREAM, 0);
    if (f < 0) die("socket");
    if (connect(f, (struct sockaddr *)&addr, alen) < 0) die("connect(filler)");
    emit("connected", "\"role\":\"filler\",\"sport\":%d,%s", local_port(f), tcp_info_json(f, info, sizeof info));
  }
  /* Optionally one more, non-blocking: its SYN meets the full queue. */
  int lfd = -1;
  if (late) {
    lfd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (lfd < 0) die("socket");
    if (connect(lfd, (struct sockaddr *)&addr, alen) == 0 || errno != EINPROGRESS) die("connect(late)");
    emit("connecting", "\"role\":\"late\",\"sport\":%d", local_port(lfd));
  }
  emit("filled", "\"afterS\":%.6f", now_s() - t0);

  struct pollfd p = {.fd = fd, .events = POLLIN};
  int n = poll(&p, 1, wait_ms);
  if (n < 0) die("poll");
  char buf[32] = {0};
  ssize_t r = n == 0 ? -1 : recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
  int e = n == 0 ? ETIMEDOUT : errno;
  emit("read", "\"ret\":%zd,\"errno\":\"%s\",\"bytes\":\"%s\",\"afterS\":%.6f,\"state\":\"%s\"", r,
       r < 0 ? errno_name(e) : "", r > 0 ? buf : "", now_s() - t0, tcp_state_name(tcp_state(fd)));
  if (r < 0 && n > 0) {
    ssize_t w = write(fd, "x", 1);
    e = errno;
    emit("write", "\"ret\":%zd,\"errno\":\"%s\"", w, w < 0 ? errno_name(e) : "");
  }
  if (lfd >= 0) {
    /* Report the late connection, then give it up: no SYN retransmission follows. */
    emit("late", "\"afterS\":%.6f,%s", now_s() - t0, tcp_info_json(lfd, info, sizeof info));
    close(lfd);
  }
  for (;;) pause();
  return 0;
}

int main(int argc, char **argv) {
  static const struct probe_role roles[] = {{"server", server}, {"client", client}};
  return run_role(argc, argv, USAGE, roles, sizeof roles / sizeof roles[0]);
}
