/*
 * An orphan on a silent path. `client` connects (optionally setting TCP_USER_TIMEOUT first), and
 * on the lab's SIGUSR1 writes 10 bytes and calls close(): the socket becomes an orphan in
 * FIN-WAIT-1 that keeps retransmitting its data and FIN until the kernel gives up. A watcher
 * thread reports every state and every retransmission the kernel counts (sock_diag), until the
 * kernel has no socket left. `server` accepts one connection and reads nothing; on the lab's
 * SIGUSR1 it reports its own view (TCP_INFO state, bytes received), writes 4 bytes to the client
 * that has long forgotten the connection, and reports what its next read() returns.
 *
 * usage: orphan client ADDR PORT USER_TIMEOUT_MS | orphan server ADDR PORT
 * events: listening; accepted; connected {userTimeoutMs}; state {...}; waiting; closed {state};
 *         peer-view {state, unread}; wrote {ret, errno}; read {ret, errno}; done
 */
#include "teardown.h"

static const char *USAGE = "orphan client ADDR PORT USER_TIMEOUT_MS | orphan server ADDR PORT";

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5) usage_error(USAGE, "wrong number of arguments");
  int server = strcmp(argv[1], "server") == 0;
  if (!server && strcmp(argv[1], "client") != 0) usage_error(USAGE, "role must be client or server");
  int port = arg_port(USAGE, "PORT", argv[3]);
  steps_init();

  if (server) {
    int fd = accept_one(listen_on(USAGE, argv[2], port, 1));
    EMIT("accepted", NULL);
    wait_step("talk");
    EMIT("peer-view", "\"state\":\"%s\",\"unread\":%d", tcp_state_name(tcp_state(fd)), unread_bytes(fd));
    /* Bounded: if nothing answered, read() would wait for ever. */
    struct timeval tv = {.tv_sec = 5};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) die("setsockopt(SO_RCVTIMEO)");
    ssize_t w = send(fd, "ping", 4, MSG_NOSIGNAL);
    int e = errno;
    EMIT("wrote", "\"ret\":%zd,\"errno\":\"%s\"", w, w < 0 ? errno_name(e) : "");
    char buf[16];
    ssize_t r = read(fd, buf, sizeof buf);
    e = errno;
    EMIT("read", "\"ret\":%zd,\"errno\":\"%s\",\"state\":\"%s\"", r, r < 0 ? errno_name(e) : "",
         tcp_state_name(tcp_state(fd)));
  } else {
    if (argc != 5) usage_error(USAGE, "client needs USER_TIMEOUT_MS");
    int user_timeout = (int)arg_int(USAGE, "USER_TIMEOUT_MS", argv[4], 0, 600000);
    int fd = connect_to(USAGE, argv[2], port);
    if (user_timeout &&
        setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout) < 0)
      die("setsockopt(TCP_USER_TIMEOUT)");
    struct tuple t = tuple_of(fd);
    watch_follow_retransmissions();
    watch_start(fd);
    EMIT("connected", "\"userTimeoutMs\":%d", user_timeout);
    wait_step("close"); /* the lab silences the path first */
    if (write(fd, "0123456789", 10) != 10) die("write");
    if (close(fd) < 0) die("close");
    emit_diag("closed", &t, NULL);
    watch_until(GONE, 60000);
  }
  EMIT("done", NULL);
  return 0;
}
