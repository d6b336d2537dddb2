/*
 * Half-close. `client` sends a request, calls shutdown(SHUT_WR) (FIN: "no more from me") and
 * keeps reading; `server` reads the request until read() returns 0, then sends a reply of
 * REPLY_BYTES on the half-closed connection and closes. The client reports what it still
 * receives after its own FIN, and the states on the way.
 *
 * usage: half-close client|server ADDR PORT REPLY_BYTES
 * events: listening; state {...}; shutdown; half-closed {state}; request {bytes};
 *         eof {state}; waiting; replied {bytes}; received {bytes, state}; done
 */
#include "teardown.h"

static const char *USAGE = "half-close client|server ADDR PORT REPLY_BYTES";
static const char REQUEST[] = "GET /report\n";

int main(int argc, char **argv) {
  if (argc != 5) usage_error(USAGE, "wrong number of arguments");
  int server = strcmp(argv[1], "server") == 0;
  if (!server && strcmp(argv[1], "client") != 0) usage_error(USAGE, "role must be client or server");
  int port = arg_port(USAGE, "PORT", argv[3]);
  int reply = (int)arg_int(USAGE, "REPLY_BYTES", argv[4], 1, 1 << 20);
  steps_init();
  static char buf[1 << 20];

  if (server) {
    int fd = accept_one(listen_on(USAGE, argv[2], port, 1));
    watch_start(fd);
    ssize_t r, got = 0;
    while ((r = read(fd, buf, sizeof buf)) > 0) got += r;
    if (r < 0) die("read");
    EMIT("request", "\"bytes\":%zd", got);
    EMIT("eof", "\"ret\":0,\"state\":\"%s\"", tcp_state_name(tcp_state(fd)));
    wait_step("reply"); /* the lab samples the half-closed connection first */
    memset(buf, 'r', (size_t)reply);
    ssize_t sent = write(fd, buf, (size_t)reply); /* allowed: only the peer's direction is closed */
    int e = errno;
    EMIT("replied", "\"bytes\":%zd,\"errno\":\"%s\",\"state\":\"%s\"", sent, sent < 0 ? errno_name(e) : "",
         tcp_state_name(tcp_state(fd)));
    if (close(fd) < 0) die("close");
    watch_until(GONE, 5000);
  } else {
    int fd = connect_to(USAGE, argv[2], port);
    watch_start(fd);
    if (write(fd, REQUEST, sizeof REQUEST - 1) < 0) die("write");
    if (shutdown(fd, SHUT_WR) < 0) die("shutdown");
    EMIT("shutdown", "\"how\":\"SHUT_WR\"");
    if (!wait_tcp_state(fd, TCP_FIN_WAIT2, 5000)) EMIT("timeout", "\"waitingFor\":\"FIN-WAIT-2\"");
    EMIT("half-closed", "\"state\":\"%s\"", tcp_state_name(tcp_state(fd)));
    ssize_t r, got = 0;
    while ((r = read(fd, buf, sizeof buf)) > 0) got += r;
    int e = errno;
    EMIT("received", "\"bytes\":%zd,\"lastRead\":%zd,\"errno\":\"%s\",\"state\":\"%s\"", got, r,
         r < 0 ? errno_name(e) : "", tcp_state_name(tcp_state(fd)));
    if (close(fd) < 0) die("close");
    watch_until(TCP_TIME_WAIT, 5000);
  }
  EMIT("done", NULL);
  return 0;
}
