/*
 * Request/response over one TCP connection in the write-write-read pattern: the client writes a
 * request header and its body with two write()s, then blocks in read() for the response; the
 * server answers as soon as it holds the whole request. The client times every request.
 *
 * usage: reqresp server ADDR PORT REQ_BYTES RESP_BYTES
 *        reqresp client ADDR PORT nagle|nodelay COUNT HDR_BYTES BODY_BYTES RESP_BYTES
 * server events: listening; served {requests} per connection (runs until SIGTERM)
 * client events: connected {sport, nodelay}; done {count, rttsUs: [...]}; exits after close()
 */
#include "addr.h"
#include <netinet/tcp.h>
#include <unistd.h>

static const char *USAGE =
    "reqresp server ADDR PORT REQ_BYTES RESP_BYTES | "
    "reqresp client ADDR PORT nagle|nodelay COUNT HDR_BYTES BODY_BYTES RESP_BYTES";
#define MAX_COUNT 1000
#define MAX_BYTES 4096

/* Reads exactly len bytes; returns 0 on EOF before the first byte, 1 when complete. */
static int read_full(int fd, char *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, buf + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read");
    if (n == 0) {
      if (got == 0) return 0;
      errno = EPROTO;
      die("read(short request)");
    }
    got += (size_t)n;
  }
  return 1;
}

static void write_full(int fd, const char *buf, size_t len) {
  size_t put = 0;
  while (put < len) {
    ssize_t n = write(fd, buf + put, len - put);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("write");
    put += (size_t)n;
  }
}

static int serve(int argc, char **argv) {
  if (argc != 6) usage_error(USAGE, "server: wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[3]);
  size_t req = (size_t)arg_int(USAGE, "REQ_BYTES", argv[4], 1, MAX_BYTES * 2);
  size_t resp = (size_t)arg_int(USAGE, "RESP_BYTES", argv[5], 1, MAX_BYTES);
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], port, &addr);
  int fd = bound_socket(SOCK_STREAM, &addr, alen);
  if (listen(fd, 8) < 0) die("listen");
  emit("listening", "\"port\":%d", port);
  static char in[MAX_BYTES * 2], out[MAX_BYTES];
  memset(out, 'r', sizeof out);
  for (;;) {
    int c = accept(fd, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR) continue;
      die("accept");
    }
    /* The server keeps Nagle on: its one response per request never waits behind unacked data. */
    int served = 0;
    while (read_full(c, in, req)) {
      write_full(c, out, resp);
      served++;
    }
    close(c);
    emit("served", "\"requests\":%d", served);
  }
  return 0;
}

static int client(int argc, char **argv) {
  if (argc != 9) usage_error(USAGE, "client: wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[3]);
  int nodelay = strcmp(argv[4], "nodelay") == 0;
  if (!nodelay && strcmp(argv[4], "nagle") != 0) usage_error(USAGE, "mode must be nagle or nodelay");
  int count = (int)arg_int(USAGE, "COUNT", argv[5], 1, MAX_COUNT);
  size_t hdr = (size_t)arg_int(USAGE, "HDR_BYTES", argv[6], 1, MAX_BYTES);
  size_t body = (size_t)arg_int(USAGE, "BODY_BYTES", argv[7], 1, MAX_BYTES);
  size_t resp = (size_t)arg_int(USAGE, "RESP_BYTES", argv[8], 1, MAX_BYTES);
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], port, &addr);
  int fd = socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (nodelay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay) < 0)
    die("setsockopt(TCP_NODELAY)");
  if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
  emit("connected", "\"sport\":%d,\"nodelay\":%s", local_port(fd), nodelay ? "true" : "false");

  static char out[MAX_BYTES], in[MAX_BYTES];
  memset(out, 'q', sizeof out);
  static long rtt_us[MAX_COUNT];
  for (int i = 0; i < count; i++) {
    double t0 = now_s();
    write_full(fd, out, hdr);  /* header */
    write_full(fd, out, body); /* body: with Nagle on, held until the header is acknowledged */
    if (!read_full(fd, in, resp)) {
      errno = ECONNRESET;
      die("read(response)");
    }
    rtt_us[i] = (long)((now_s() - t0) * 1e6);
  }
  /* One line with every sample: the lab computes median and spread. */
  printf("{\"event\":\"done\",\"mono\":%.6f,\"count\":%d,\"nodelay\":%s,\"rttsUs\":[", now_s(), count,
         nodelay ? "true" : "false");
  for (int i = 0; i < count; i++) printf("%s%ld", i ? "," : "", rtt_us[i]);
  puts("]}");
  fflush(stdout);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  static const struct probe_role roles[] = {
      {"server", serve},
      {"client", client},
  };
  return run_role(argc, argv, USAGE, roles, sizeof roles / sizeof roles[0]);
}
