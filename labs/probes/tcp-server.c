/*
 * Handshake server: listens with a chosen backlog, then either accepts every connection
 * (reporting each one's TCP_INFO) or holds them all in the accept queue by never calling
 * accept(). Runs until SIGTERM.
 *
 * usage: server ADDR PORT BACKLOG accept|hold [DEFER_ACCEPT_SECONDS]
 * events: listening {addr, backlog}; accepted {peer, state, sndMss, ...}
 */
#include "addr.h"
#include "tcp_info.h"
#include <signal.h>
#include <unistd.h>

static const char *USAGE = "server ADDR PORT BACKLOG accept|hold [DEFER_ACCEPT_SECONDS]";

int main(int argc, char **argv) {
  if (argc < 5 || argc > 6) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[2]);
  int backlog = (int)arg_int(USAGE, "BACKLOG", argv[3], 0, 65535);
  int do_accept = strcmp(argv[4], "accept") == 0;
  if (!do_accept && strcmp(argv[4], "hold") != 0) usage_error(USAGE, "mode must be accept or hold");
  int defer = argc == 6 ? (int)arg_int(USAGE, "DEFER_ACCEPT_SECONDS", argv[5], 0, 3600) : 0;

  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[1], port, &addr);
  int fd = bound_socket(SOCK_STREAM, &addr, alen);
  if (defer && setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer) < 0)
    die("setsockopt(TCP_DEFER_ACCEPT)");
  if (listen(fd, backlog) < 0) die("listen");
  char text[64];
  emit("listening", "\"addr\":\"%s\",\"backlog\":%d,\"deferAccept\":%d",
       format_addr(&addr, text, sizeof text), backlog, defer);

  if (!do_accept) {
    for (;;) pause(); /* SIGTERM's default action ends us */
  }
  for (;;) {
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int c = accept(fd, (struct sockaddr *)&peer, &plen);
    if (c < 0) {
      if (errno == EINTR) continue;
      die("accept");
    }
    char info[768];
    emit("accepted", "\"peer\":\"%s\",%s", format_addr(&peer, text, sizeof text),
         tcp_info_json(c, info, sizeof info));
    /* Keep c open: the lab reads states while the connection lives. */
  }
}
