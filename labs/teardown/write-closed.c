/*
 * Writing to a peer that has closed. `server` accepts one connection and closes it at once.
 * `client` waits until the FIN has arrived (CLOSE-WAIT), writes once (accepted: the kernel cannot
 * know the peer is gone), waits until the peer's RST has closed the socket, then writes again
 * with write() and with send(MSG_NOSIGNAL). A SIGPIPE handler counts signals instead of dying.
 *
 * usage: write-closed client|server ADDR PORT
 * events: listening; state {...}; closed; peer-closed {state}; write {n, call, ret, errno,
 *         sigpipes}; reset {state, soError}; done
 */
#include "teardown.h"

static const char *USAGE = "write-closed client|server ADDR PORT";
static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static void try_write(int fd, int n, int nosignal) {
  static const char msg[] = "hello?";
  int before = sigpipes;
  ssize_t r = nosignal ? send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL) : write(fd, msg, sizeof msg - 1);
  int e = errno;
  EMIT("write", "\"n\":%d,\"call\":\"%s\",\"ret\":%zd,\"errno\":\"%s\",\"sigpipe\":%s", n,
       nosignal ? "send(MSG_NOSIGNAL)" : "write", r, r < 0 ? errno_name(e) : "",
       sigpipes > before ? "true" : "false");
}

int main(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "wrong number of arguments");
  int server = strcmp(argv[1], "server") == 0;
  if (!server && strcmp(argv[1], "client") != 0) usage_error(USAGE, "role must be client or server");
  int port = arg_port(USAGE, "PORT", argv[3]);
  steps_init();

  if (server) {
    int fd = accept_one(listen_on(USAGE, argv[2], port, 1));
    if (close(fd) < 0) die("close");
    EMIT("closed", NULL);
    wait_step("exit"); /* keep the listener; the closed connection lives on in the kernel */
  } else {
    struct sigaction sa = {.sa_handler = on_sigpipe};
    if (sigaction(SIGPIPE, &sa, NULL) < 0) die("sigaction(SIGPIPE)");
    int fd = connect_to(USAGE, argv[2], port);
    watch_start(fd);
    if (!wait_tcp_state(fd, TCP_CLOSE_WAIT, 5000)) EMIT("timeout", "\"waitingFor\":\"CLOSE-WAIT\"");
    EMIT("peer-closed", "\"state\":\"%s\"", tcp_state_name(tcp_state(fd)));
    try_write(fd, 1, 0);
    if (!wait_tcp_state(fd, TCP_CLOSE, 5000)) EMIT("timeout", "\"waitingFor\":\"CLOSE\"");
    int err = 0;
    socklen_t el = sizeof err;
    int state = tcp_state(fd);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) die("getsockopt(SO_ERROR)");
    EMIT("reset", "\"state\":\"%s\",\"soError\":\"%s\"", tcp_state_name(state), err ? errno_name(err) : "");
    try_write(fd, 2, 0);
    try_write(fd, 3, 1);
    EMIT("signals", "\"sigpipe\":%d,\"name\":\"SIG%s\"", (int)sigpipes, sigabbrev_np(SIGPIPE));
  }
  EMIT("done", NULL);
  return 0;
}
