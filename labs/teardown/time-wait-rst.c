/*
 * A RST for a connection in TIME-WAIT. `client` connects and closes first, so its end of the
 * connection goes to TIME-WAIT; a watcher thread keeps reporting its state (GONE once the kernel
 * forgets it). `server` reads to end of file, notes its sequence numbers (TCP_REPAIR), closes,
 * waits until its own end is gone, and on the lab's SIGUSR1 hand-crafts from a raw socket, with
 * the connection's addresses and ports, a RST at exactly the sequence number the TIME-WAIT
 * socket expects next, followed by a copy of its own FIN: a socket still in TIME-WAIT
 * acknowledges that FIN again, while a host with no socket for it answers RST.
 *
 * usage: time-wait-rst client ADDR PORT | time-wait-rst server ADDR PORT
 * events: listening; state {...}; time-wait; waiting; closed {finSeq, ack}; sent {what, seq, ack};
 *         done
 */
#include "teardown.h"

static const char *USAGE = "time-wait-rst client ADDR PORT | time-wait-rst server ADDR PORT";

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
    char buf[64];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) {}
    if (r < 0) die("read");
    uint32_t fin_seq, ack; /* our FIN will carry fin_seq; the client's FIN is in rcv_nxt */
    repair_seqs(fd, &fin_seq, &ack);
    if (close(fd) < 0) die("close");
    watch_until(GONE, 5000);
    EMIT("closed", "\"finSeq\":%u,\"ack\":%u", fin_seq, ack);
    wait_step("rst");
    send_segment(&t.local, &t.peer, fin_seq + 1, ack, SEG_RST | SEG_ACK);
    EMIT("sent", "\"what\":\"RST\",\"seq\":%u,\"ack\":%u", fin_seq + 1, ack);
    send_segment(&t.local, &t.peer, fin_seq, ack, SEG_FIN | SEG_ACK);
    EMIT("sent", "\"what\":\"FIN again\",\"seq\":%u,\"ack\":%u", fin_seq, ack);
  } else {
    int fd = connect_to(USAGE, argv[2], port);
    watch_start(fd);
    if (close(fd) < 0) die("close");
    watch_until(TCP_TIME_WAIT, 5000);
    EMIT("time-wait", NULL);
    wait_step("exit"); /* the watcher goes on reporting while the lab works */
  }
  EMIT("done", NULL);
  return 0;
}
