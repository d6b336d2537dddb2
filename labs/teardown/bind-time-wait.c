/*
 * A new listener on a port whose last connection is in TIME-WAIT. `server` listens (with or
 * without SO_REUSEADDR, as ORIGINAL says), accepts one connection and closes it first, waits until
 * that connection is in TIME-WAIT on this host, closes the listener, and then tries bind()+listen()
 * on the same address twice: without SO_REUSEADDR and with it. `client` reads to end of file
 * and closes.
 *
 * usage: bind-time-wait server ADDR PORT reuse|noreuse | bind-time-wait client ADDR PORT
 * events: listening; state {...}; time-wait {expiresMs}; bind {reuseaddr, ret, errno}; done
 */
#include "teardown.h"

static const char *USAGE = "bind-time-wait server ADDR PORT reuse|noreuse | bind-time-wait client ADDR PORT";

static void try_bind(const char *addr, int port, int reuse) {
  struct sockaddr_storage ss;
  socklen_t len = parse_addr(USAGE, addr, port, &ss);
  int fd = socket(ss.ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse) < 0) die("setsockopt(SO_REUSEADDR)");
  int r = bind(fd, (struct sockaddr *)&ss, len);
  int e = errno;
  if (r == 0 && listen(fd, 16) < 0) die("listen");
  EMIT("bind", "\"reuseaddr\":%s,\"ret\":%d,\"errno\":\"%s\"", reuse ? "true" : "false", r, r < 0 ? errno_name(e) : "");
  close(fd);
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5) usage_error(USAGE, "wrong number of arguments");
  int server = strcmp(argv[1], "server") == 0;
  if (!server && strcmp(argv[1], "client") != 0) usage_error(USAGE, "role must be client or server");
  int port = arg_port(USAGE, "PORT", argv[3]);
  steps_init();

  if (server) {
    if (argc != 5) usage_error(USAGE, "server needs reuse|noreuse");
    int original_reuse = strcmp(argv[4], "reuse") == 0;
    if (!original_reuse && strcmp(argv[4], "noreuse") != 0) usage_error(USAGE, "reuse or noreuse");
    int lfd = listen_on(USAGE, argv[2], port, original_reuse);
    int fd = accept_one(lfd);
    watch_start(fd);
    if (close(fd) < 0) die("close");
    if (!watch_until(TCP_TIME_WAIT, 5000)) return 1;
    if (close(lfd) < 0) die("close(listener)");
    EMIT("listener-closed", NULL);
    try_bind(argv[2], port, 0);
    try_bind(argv[2], port, 1);
  } else {
    int fd = connect_to(USAGE, argv[2], port);
    char buf[64];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) {}
    if (r < 0) die("read");
    if (close(fd) < 0) die("close");
  }
  EMIT("done", NULL);
  return 0;
}
