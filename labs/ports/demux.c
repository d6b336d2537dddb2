/*
 * demux: sockets that share a port, to see which one the kernel hands each packet to.
 *
 * usage: demux tcp-server ADDR PORT NAME plain|reuseport
 *            bind (SO_REUSEADDR, plus SO_REUSEPORT if asked) and listen; accept forever and read
 *            each connection's first message. A failed bind is reported, not fatal.
 *        demux tcp-clients ADDR PORT COUNT
 *            COUNT connect()s in a row, each writing "i=<n> sport=<port>"; failures reported.
 *        demux fixed ADDR PORT1 PORT2 LPORT
 *            client sockets bound to a fixed local port LPORT, step by step (see below).
 *        demux udp-recv ADDR PORT NAME plain|reuseport [PEER PEERPORT]
 *            bind (SO_REUSEADDR, plus SO_REUSEPORT if asked), connect to PEER if given; report
 *            every datagram with its source and the socket's NAME.
 *        demux udp-send SRCPORT DST PORT COUNT TAG
 *            from a socket bound to SRCPORT (0 = ephemeral), send COUNT datagrams "TAG n".
 *
 * events: listening {name}; bind-failed {name, errno, message}; accepted {name, local, peer, got};
 *         connected {i, sport}; failed {i, call, errno, message}; step {step, ...};
 *         bound {name}; got {name, from, payload}; sent {sport, count}
 */
#include "addr.h"
#include <poll.h>
#include <unistd.h>

static const char *USAGE =
    "demux tcp-server ADDR PORT NAME plain|reuseport | demux tcp-clients ADDR PORT COUNT |\n"
    "       demux fixed ADDR PORT1 PORT2 LPORT | demux udp-recv ADDR PORT NAME plain|reuseport [PEER PEERPORT] |\n"
    "       demux udp-send SRCPORT DST PORT COUNT TAG";

static void set_int(int fd, int level, int opt, const char *call) {
  int one = 1;
  if (setsockopt(fd, level, opt, &one, sizeof one) < 0) die(call);
}

/* Prints a JSON string body with quotes and backslashes escaped (payloads are ASCII here). */
static const char *json_str(const char *in, char *out, size_t len) {
  size_t j = 0;
  for (size_t i = 0; in[i] && j + 3 < len; i++) {
    char c = in[i];
    if (c == '"' || c == '\\') out[j++] = '\\';
    out[j++] = (c >= 32 && c < 127) ? c : '?';
  }
  out[j] = 0;
  return out;
}

static void tcp_server(struct sockaddr_storage *addr, socklen_t alen, const char *name, int reuseport) {
  int fd = socket(addr->ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  set_int(fd, SOL_SOCKET, SO_REUSEADDR, "setsockopt(SO_REUSEADDR)");
  if (reuseport) set_int(fd, SOL_SOCKET, SO_REUSEPORT, "setsockopt(SO_REUSEPORT)");
  if (bind(fd, (struct sockaddr *)addr, alen) < 0) {
    emit("bind-failed", "\"name\":\"%s\",\"errno\":\"%s\",\"message\":\"%s\"", name, errno_name(errno), strerror(errno));
    for (;;) pause();
  }
  if (listen(fd, 64) < 0) die("listen");
  emit("listening", "\"name\":\"%s\"", name);
  for (;;) {
    struct sockaddr_storage peer, local;
    socklen_t plen = sizeof peer, llen = sizeof local;
    int c = accept(fd, (struct sockaddr *)&peer, &plen);
    if (c < 0) {
      if (errno == EINTR) continue;
      die("accept");
    }
    if (getsockname(c, (struct sockaddr *)&local, &llen) < 0) die("getsockname");
    char got[128] = "", esc[256], ltext[64], ptext[64];
    struct pollfd p = {.fd = c, .events = POLLIN};
    if (poll(&p, 1, 3000) > 0) {
      ssize_t n = read(c, got, sizeof got - 1);
      got[n > 0 ? n : 0] = 0;
    }
    emit("accepted", "\"name\":\"%s\",\"local\":\"%s\",\"peer\":\"%s\",\"got\":\"%s\"", name,
         format_addr(&local, ltext, sizeof ltext), format_addr(&peer, ptext, sizeof ptext),
         json_str(got, esc, sizeof esc));
    /* keep c open: ss shows it */
  }
}

static void tcp_clients(struct sockaddr_storage *addr, socklen_t alen, int count) {
  int ok = 0, failed = 0;
  for (int i = 0; i < count; i++) {
    int fd = socket(addr->ss_family, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)addr, alen) < 0) {
      emit("failed", "\"i\":%d,\"call\":\"connect\",\"errno\":\"%s\",\"message\":\"%s\"", i, errno_name(errno), strerror(errno));
      close(fd);
      failed++;
      continue;
    }
    char msg[64];
    int sport = local_port(fd);
    int len = snprintf(msg, sizeof msg, "i=%d sport=%d", i, sport);
    if (write(fd, msg, (size_t)len) != len) die("write");
    emit("connected", "\"i\":%d,\"sport\":%d", i, sport);
    ok++;
  }
  emit("done", "\"connected\":%d,\"failed\":%d", ok, failed);
}

/* One step of the fixed-port scenario: bind to LPORT (SO_REUSEADDR if reuse), then connect. */
static int fixed_step(const char *step, struct sockaddr_storage *dst, socklen_t alen, int dport, int lport, int reuse) {
  int fd = socket(dst->ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (reuse) set_int(fd, SOL_SOCKET, SO_REUSEADDR, "setsockopt(SO_REUSEADDR)");
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons((uint16_t)lport)};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
    emit("step", "\"step\":\"%s\",\"reuseaddr\":%s,\"call\":\"bind\",\"errno\":\"%s\",\"message\":\"%s\"", step,
         reuse ? "true" : "false", errno_name(errno), strerror(errno));
    close(fd);
    return -1;
  }
  ((struct sockaddr_in *)dst)->sin_port = htons((uint16_t)dport);
  if (connect(fd, (struct sockaddr *)dst, alen) < 0) {
    emit("step", "\"step\":\"%s\",\"reuseaddr\":%s,\"call\":\"connect\",\"dport\":%d,\"errno\":\"%s\",\"message\":\"%s\"", step,
         reuse ? "true" : "false", dport, errno_name(errno), strerror(errno));
    close(fd);
    return -1;
  }
  emit("step", "\"step\":\"%s\",\"reuseaddr\":%s,\"call\":\"connect\",\"dport\":%d,\"sport\":%d,\"ok\":true", step,
       reuse ? "true" : "false", dport, local_port(fd));
  return fd;
}

static void udp_recv(struct sockaddr_storage *addr, socklen_t alen, const char *name, int reuseport,
                     const char *peer, const char *peer_port) {
  int fd = socket(addr->ss_family, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  set_int(fd, SOL_SOCKET, SO_REUSEADDR, "setsockopt(SO_REUSEADDR)");
  if (reuseport) set_int(fd, SOL_SOCKET, SO_REUSEPORT, "setsockopt(SO_REUSEPORT)");
  if (bind(fd, (struct sockaddr *)addr, alen) < 0) die("bind");
  if (peer) {
    struct sockaddr_storage p;
    socklen_t pl = parse_addr(USAGE, peer, arg_port(USAGE, "PEERPORT", peer_port), &p);
    if (connect(fd, (struct sockaddr *)&p, pl) < 0) die("connect");
  }
  emit("bound", "\"name\":\"%s\"", name);
  for (;;) {
    char data[256], esc[512], ftext[64];
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(fd, data, sizeof data - 1, 0, (struct sockaddr *)&from, &fl);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("recvfrom");
    }
    data[n] = 0;
    emit("got", "\"name\":\"%s\",\"from\":\"%s\",\"payload\":\"%s\"", name, format_addr(&from, ftext, sizeof ftext),
         json_str(data, esc, sizeof esc));
  }
}

static void udp_send(int sport, struct sockaddr_storage *dst, socklen_t alen, int count, const char *tag) {
  int fd = socket(dst->ss_family, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sport)};
  if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) die("bind");
  for (int i = 0; i < count; i++) {
    char msg[96];
    int len = snprintf(msg, sizeof msg, "%s %d", tag, i);
    if (sendto(fd, msg, (size_t)len, 0, (struct sockaddr *)dst, alen) != len) die("sendto");
  }
  emit("sent", "\"sport\":%d,\"count\":%d,\"tag\":\"%s\"", local_port(fd), count, tag);
}

int main(int argc, char **argv) {
  if (argc < 2) usage_error(USAGE, "missing mode");
  const char *mode = argv[1];
  struct sockaddr_storage addr;
  if (strcmp(mode, "tcp-server") == 0 && argc == 6) {
    socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
    tcp_server(&addr, alen, argv[4], strcmp(argv[5], "reuseport") == 0);
  } else if (strcmp(mode, "tcp-clients") == 0 && argc == 5) {
    socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
    tcp_clients(&addr, alen, (int)arg_int(USAGE, "COUNT", argv[4], 1, 1000));
  } else if (strcmp(mode, "fixed") == 0 && argc == 6) {
    int p1 = arg_port(USAGE, "PORT1", argv[3]), p2 = arg_port(USAGE, "PORT2", argv[4]);
    int lport = arg_port(USAGE, "LPORT", argv[5]);
    socklen_t alen = parse_addr(USAGE, argv[2], p1, &addr);
    /* Without SO_REUSEADDR: a second bind() to a port a connected socket holds. */
    fixed_step("first", &addr, alen, p1, lport, 0);
    fixed_step("second-bind", &addr, alen, p1, lport, 0);
    /* With SO_REUSEADDR on both: the bind is allowed, the 4-tuple decides. */
    fixed_step("reuse-first", &addr, alen, p1, lport + 1, 1);
    fixed_step("reuse-same-destination", &addr, alen, p1, lport + 1, 1);
    fixed_step("reuse-other-destination", &addr, alen, p2, lport + 1, 1);
    emit("done", NULL);
  } else if (strcmp(mode, "udp-recv") == 0 && (argc == 6 || argc == 8)) {
    socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
    udp_recv(&addr, alen, argv[4], strcmp(argv[5], "reuseport") == 0, argc == 8 ? argv[6] : NULL,
             argc == 8 ? argv[7] : NULL);
  } else if (strcmp(mode, "udp-send") == 0 && argc == 7) {
    int sport = (int)arg_int(USAGE, "SRCPORT", argv[2], 0, 65535);
    socklen_t alen = parse_addr(USAGE, argv[3], arg_port(USAGE, "PORT", argv[4]), &addr);
    udp_send(sport, &addr, alen, (int)arg_int(USAGE, "COUNT", argv[5], 1, 1000), argv[6]);
  } else {
    usage_error(USAGE, "unknown mode or wrong number of arguments");
  }
  for (;;) pause(); /* keep every socket until SIGTERM */
}
