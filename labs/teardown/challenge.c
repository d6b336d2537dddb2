/*
 * Blind RSTs and SYNs against established connections (RFC 5961). `server` accepts CONNS
 * connections and reads them all (poll), reporting every read and every error with the socket's
 * TCP_INFO state. `client` opens CONNS connections and then plays its STEPs, one per SIGUSR1 from
 * the lab; a step is a comma-separated list of ACTION:CONN done back to back:
 *
 *   rst-exact  a RST with seq = the server's rcv_nxt (the client's next sequence number)
 *   rst-in     a RST with seq = rcv_nxt + 1000: inside the receive window, not exact
 *   rst-out    a RST with seq = rcv_nxt + 2^30: outside the window
 *   syn        a SYN on the established 4-tuple with seq = rcv_nxt: in the window, exactly
 *              where the server expects the next byte
 *   data       5 bytes written through the connection itself
 *
 * The crafted segments come from a raw socket with the connection's own addresses and ports;
 * TCP_REPAIR reads the sequence numbers first (the connection runs without timestamps, so a
 * segment without options is complete). Each is reported with the numbers it carried, absolute.
 *
 * usage: challenge server ADDR PORT CONNS | challenge client ADDR PORT CONNS STEP...
 * events: listening; accepted {conn}; connected {conn, sport}; waiting; sent {conn, action, seq,
 *         ack, rcvNxt}; read {conn, bytes, state}; error {conn, errno, state}; done
 */
#include "teardown.h"
#include <poll.h>

static const char *USAGE = "challenge server ADDR PORT CONNS | challenge client ADDR PORT CONNS STEP...";
enum { MAX_CONNS = 8 };

static void act(int fd, int conn, const char *action) {
  struct tuple t = tuple_of(fd);
  uint32_t snd_nxt, rcv_nxt;
  repair_seqs(fd, &snd_nxt, &rcv_nxt);
  uint32_t seq;
  int flags;
  if (strcmp(action, "rst-exact") == 0) seq = snd_nxt, flags = SEG_RST;
  else if (strcmp(action, "rst-in") == 0) seq = snd_nxt + 1000, flags = SEG_RST;
  else if (strcmp(action, "rst-out") == 0) seq = snd_nxt + (1u << 30), flags = SEG_RST;
  else if (strcmp(action, "syn") == 0) seq = snd_nxt, flags = SEG_SYN;
  else if (strcmp(action, "data") == 0) {
    if (write(fd, "alive", 5) != 5) die("write");
    EMIT("sent", "\"conn\":%d,\"action\":\"data\",\"seq\":%u,\"bytes\":5", conn, snd_nxt);
    return;
  } else usage_error(USAGE, "ACTION must be rst-exact, rst-in, rst-out, syn or data");
  send_segment(&t.local, &t.peer, seq, flags & SEG_SYN ? 0 : rcv_nxt, flags);
  EMIT("sent", "\"conn\":%d,\"action\":\"%s\",\"seq\":%u,\"ack\":%u,\"rcvNxt\":%u,\"sport\":%d", conn, action,
       seq, flags & SEG_SYN ? 0 : rcv_nxt, snd_nxt, ntohs(t.local.sin_port));
}

int main(int argc, char **argv) {
  if (argc < 5) usage_error(USAGE, "wrong number of arguments");
  int server = strcmp(argv[1], "server") == 0;
  if (!server && strcmp(argv[1], "client") != 0) usage_error(USAGE, "role must be client or server");
  int port = arg_port(USAGE, "PORT", argv[3]);
  int conns = (int)arg_int(USAGE, "CONNS", argv[4], 1, MAX_CONNS);
  steps_init();
  int fds[MAX_CONNS];

  if (server) {
    int lfd = listen_on(USAGE, argv[2], port, 1);
    struct pollfd pfd[MAX_CONNS];
    for (int i = 0; i < conns; i++) {
      fds[i] = accept_one(lfd);
      pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
      EMIT("accepted", "\"conn\":%d,\"sport\":%d", i, ntohs(tuple_of(fds[i]).peer.sin_port));
    }
    for (int open = conns; open > 0;) {
      if (poll(pfd, (nfds_t)conns, -1) < 0) {
        if (errno == EINTR) continue;
        die("poll");
      }
      for (int i = 0; i < conns; i++) {
        if (!pfd[i].revents) continue;
        char buf[64];
        ssize_t r = read(fds[i], buf, sizeof buf);
        int e = errno;
        const char *state = tcp_state_name(tcp_state(fds[i]));
        if (r > 0) {
          EMIT("read", "\"conn\":%d,\"bytes\":%zd,\"state\":\"%s\"", i, r, state);
          continue;
        }
        if (r < 0) EMIT("error", "\"conn\":%d,\"errno\":\"%s\",\"state\":\"%s\"", i, errno_name(e), state);
        else EMIT("eof", "\"conn\":%d,\"state\":\"%s\"", i, state);
        pfd[i].fd = -1;
        open--;
      }
    }
  } else {
    for (int i = 0; i < conns; i++) {
      fds[i] = connect_to(USAGE, argv[2], port);
      int one = 1;
      if (setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("setsockopt(TCP_NODELAY)");
      EMIT("connected", "\"conn\":%d,\"sport\":%d", i, local_port(fds[i]));
    }
    for (int s = 5; s < argc; s++) {
      wait_step(argv[s]);
      char step[256];
      snprintf(step, sizeof step, "%s", argv[s]);
      for (char *save = NULL, *a = strtok_r(step, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(a, ':');
        if (!colon) usage_error(USAGE, "a STEP is ACTION:CONN[,ACTION:CONN...]");
        *colon = '\0';
        int conn = (int)arg_int(USAGE, "CONN", colon + 1, 0, conns - 1);
        act(fds[conn], conn, a);
      }
    }
    wait_step("exit"); /* keep the connections open until the lab has looked */
  }
  EMIT("done", NULL);
  return 0;
}
