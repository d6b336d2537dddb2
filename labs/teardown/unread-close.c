/*
 * close() with unread data. `client` sends a short request and then waits in recv() for the
 * answer; `server` lets the request arrive, reads none of it, and calls close(). The server
 * reports how many bytes were left unread, the client what recv() returned.
 *
 * usage: unread-close client|server ADDR PORT
 * events: listening; state {...}; sent {bytes}; unread {bytes}; closed {state};
 *         recv {ret, errno}; done
 */
#include "teardown.h"

static const char *USAGE = "unread-close client|server ADDR PORT";
static const char REQUEST[] = "GET /never-read\n";

int main(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "wrong number of arguments");
  int server = strcmp(argv[1], "server") == 0;
  if (!server && strcmp(argv[1], "client") != 0) usage_error(USAGE, "role must be client or server");
  int port = arg_port(USAGE, "PORT", argv[3]);
  steps_init();

  if (server) {
    int fd = accept_one(listen_on(USAGE, argv[2], port, 1));
    struct tuple t = tuple_of(fd);
    watch_start(fd);
    double deadline = now_s() + 5;
    while (unread_bytes(fd) < (int)sizeof REQUEST - 1 && now_s() < deadline) usleep(500);
    EMIT("unread", "\"bytes\":%d", unread_bytes(fd));
    if (close(fd) < 0) die("close");
    emit_diag("closed", &t, NULL);
    watch_until(GONE, 5000);
  } else {
    int fd = connect_to(USAGE, argv[2], port);
    watch_start(fd);
    ssize_t w = write(fd, REQUEST, sizeof REQUEST - 1);
    if (w < 0) die("write");
    EMIT("sent", "\"bytes\":%zd", w);
    char buf[64];
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    int e = errno;
    EMIT("recv", "\"ret\":%zd,\"errno\":\"%s\"", r, r < 0 ? errno_name(e) : "");
    watch_until(GONE, 5000);
  }
  EMIT("done", NULL);
  return 0;
}
