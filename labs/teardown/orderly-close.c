/*
 * Orderly close, either side first. Both ends run this probe: `server` listens and accepts one
 * connection, `client` connects. The `first` end calls close() at once and reports the state
 * sock_diag shows right after; the `second` end waits until the FIN has arrived (CLOSE-WAIT,
 * TCP_INFO), reads the end of file, then waits for the lab's SIGUSR1 before its own close().
 * A watcher thread reports every state the connection passes through on this end.
 *
 * The end of the walk (TIME-WAIT for the first end, GONE for the second) is awaited for at most
 * WAIT_MS, 10000 (first) or 5000 (second) when not given; it returns as soon as the state is seen,
 * so a lab that holds the connection up on purpose (a lost ACK) passes a long limit and decides
 * itself how long to wait.
 *
 * usage: orderly-close client|server ADDR PORT first|second [WAIT_MS]
 * events: listening; established {state}; state {state, timer, expiresMs, ...} (each change);
 *         closed {state} (first, right after close()); fin-received {state}; eof {ret, state};
 *         waiting; closed (second); done
 */
#include "teardown.h"
#include <sched.h>

static const char *USAGE = "orderly-close client|server ADDR PORT first|second [WAIT_MS]";

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) usage_error(USAGE, "wrong number of arguments");
  int server = strcmp(argv[1], "server") == 0;
  if (!server && strcmp(argv[1], "client") != 0) usage_error(USAGE, "role must be client or server");
  int port = arg_port(USAGE, "PORT", argv[3]);
  int first = strcmp(argv[4], "first") == 0;
  if (!first && strcmp(argv[4], "second") != 0) usage_error(USAGE, "order must be first or second");
  int wait_ms = argc == 6 ? (int)arg_int(USAGE, "WAIT_MS", argv[5], 1, 600000) : first ? 10000 : 5000;
  steps_init();

  int fd = server ? accept_one(listen_on(USAGE, argv[2], port, 1)) : connect_to(USAGE, argv[2], port);
  EMIT("established", "\"state\":\"%s\"", tcp_state_name(tcp_state(fd)));
  struct tuple t = tuple_of(fd);
  watch_start(fd);

  if (first) {
    /* FIN-WAIT-1 lasts until the peer's ACK, about a millisecond here, and a busy machine can
     * preempt us between close() and the look for longer than that. As root we hold the CPU
     * for those two calls at real-time priority; in a user namespace the call fails (EPERM)
     * and the look is as quick as the scheduler lets it be. */
    struct sched_param rt = {.sched_priority = 1}, normal = {.sched_priority = 0};
    int realtime = sched_setscheduler(0, SCHED_FIFO, &rt) == 0;
    if (close(fd) < 0) die("close");
    /* Asked within microseconds of close(): the peer's ACK of our FIN is not back yet. */
    emit_diag("closed", &t, NULL);
    if (realtime && sched_setscheduler(0, SCHED_OTHER, &normal) < 0) die("sched_setscheduler");
    watch_until(TCP_TIME_WAIT, wait_ms);
  } else {
    if (!wait_tcp_state(fd, TCP_CLOSE_WAIT, 5000)) EMIT("timeout", "\"waitingFor\":\"CLOSE-WAIT\"");
    EMIT("fin-received", "\"state\":\"%s\"", tcp_state_name(tcp_state(fd)));
    char buf[64];
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0) die("read");
    EMIT("eof", "\"ret\":%zd,\"state\":\"%s\"", r, tcp_state_name(tcp_state(fd)));
    wait_step("close");
    if (close(fd) < 0) die("close");
    emit_diag("closed", &t, NULL);
    watch_until(GONE, wait_ms);
  }
  EMIT("done", NULL);
  return 0;
}
