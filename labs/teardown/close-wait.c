/*
 * CLOSE-WAIT that never ends. `server` accepts one connection and reads until end of file; in
 * `leak` mode it then never calls close() (the bug) until the lab's SIGUSR1, in `close` mode it
 * closes at once (the fix). `client` connects, then either close()s (the socket becomes an
 * orphan, subject to tcp_fin_timeout) or only shutdown(SHUT_WR)s (it keeps its descriptor); in
 * `shutdown` mode it reports its TCP_INFO state again on SIGUSR1. A watcher thread reports every
 * state change on this end.
 *
 * usage: close-wait server ADDR PORT leak|close
 *        close-wait client ADDR PORT close|shutdown
 * events: listening; established; state {...}; eof {state}; waiting; closed; closed-late;
 *         fin-sent; still {state, sinceFinS}; done
 */
#include "teardown.h"

static const char *USAGE = "close-wait server ADDR PORT leak|close | close-wait client ADDR PORT close|shutdown";

int main(int argc, char **argv) {
  if (argc != 5) usage_error(USAGE, "wrong number of arguments");
  int server = strcmp(argv[1], "server") == 0;
  if (!server && strcmp(argv[1], "client") != 0) usage_error(USAGE, "role must be client or server");
  int port = arg_port(USAGE, "PORT", argv[3]);
  const char *mode = argv[4];
  steps_init();

  if (server) {
    int leak = strcmp(mode, "leak") == 0;
    if (!leak && strcmp(mode, "close") != 0) usage_error(USAGE, "server mode must be leak or close");
    int fd = accept_one(listen_on(USAGE, argv[2], port, 1));
    EMIT("established", "\"state\":\"%s\"", tcp_state_name(tcp_state(fd)));
    watch_start(fd);
    char buf[256];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) {}
    if (r < 0) die("read");
    EMIT("eof", "\"ret\":0,\"state\":\"%s\"", tcp_state_name(tcp_state(fd)));
    if (leak) wait_step("close-late"); /* the bug: EOF seen, descriptor kept */
    if (close(fd) < 0) die("close");
    EMIT(leak ? "closed-late" : "closed", NULL);
    watch_until(leak ? GONE : TCP_FIN_WAIT2, 5000);
  } else {
    int orphan = strcmp(mode, "close") == 0;
    if (!orphan && strcmp(mode, "shutdown") != 0) usage_error(USAGE, "client mode must be close or shutdown");
    int fd = connect_to(USAGE, argv[2], port);
    EMIT("established", "\"state\":\"%s\"", tcp_state_name(tcp_state(fd)));
    watch_start(fd);
    double fin_at = now_s();
    if (orphan ? close(fd) : shutdown(fd, SHUT_WR)) die(orphan ? "close" : "shutdown");
    EMIT("fin-sent", "\"call\":\"%s\"", orphan ? "close" : "shutdown");
    watch_until(TCP_FIN_WAIT2, 5000);
    if (orphan) {
      watch_until(GONE, 30000); /* the orphan lives until tcp_fin_timeout (or the peer's FIN) */
    } else {
      wait_step("report");
      EMIT("still", "\"state\":\"%s\",\"sinceFinS\":%.3f", tcp_state_name(tcp_state(fd)), now_s() - fin_at);
    }
  }
  EMIT("done", NULL);
  return 0;
}
