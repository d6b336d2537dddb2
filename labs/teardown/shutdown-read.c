/*
 * shutdown(SHUT_RD) on a TCP socket. `client` sends "before" (6 bytes), and on the lab's SIGUSR1
 * "after-shutdown" (14 bytes); it then reads the server's 5-byte reply and the end of file.
 * `server` waits until "before" is queued, calls shutdown(SHUT_RD), and reports what poll() and
 * two recv() calls say; then waits until the later 14 bytes are queued (FIONREAD) and reads
 * again; then writes its reply and closes.
 *
 * usage: shutdown-read client ADDR PORT | shutdown-read server ADDR PORT
 * events: listening; sent {bytes}; shut {unread, state, pollin, pollrdhup, pollout, pollhup};
 *         recv {phase, n, ret, errno}; queued {unread, state}; replied {ret}; reply {bytes, last,
 *         errno}; done
 */
#include "teardown.h"
#include <poll.h>

static const char *USAGE = "shutdown-read client ADDR PORT | shutdown-read server ADDR PORT";

static void wait_unread(int fd, int bytes) {
  for (double deadline = now_s() + 5; unread_bytes(fd) < bytes;) {
    if (now_s() > deadline) {
      errno = ETIMEDOUT;
      die("wait for queued bytes");
    }
    usleep(500);
  }
}

/* Two recv() calls in a row: what is queued, then what comes after it. */
static void two_reads(int fd, const char *phase) {
  char buf[64];
  for (int n = 1; n <= 2; n++) {
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    int e = errno;
    EMIT("recv", "\"phase\":\"%s\",\"n\":%d,\"ret\":%zd,\"errno\":\"%s\"", phase, n, r,
         r < 0 ? errno_name(e) : "");
  }
}

int main(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "wrong number of arguments");
  int server = strcmp(argv[1], "server") == 0;
  if (!server && strcmp(argv[1], "client") != 0) usage_error(USAGE, "role must be client or server");
  int port = arg_port(USAGE, "PORT", argv[3]);
  steps_init();

  if (server) {
    int fd = accept_one(listen_on(USAGE, argv[2], port, 1));
    wait_unread(fd, 6);
    if (shutdown(fd, SHUT_RD) < 0) die("shutdown(SHUT_RD)");
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP | POLLOUT};
    if (poll(&p, 1, 0) < 0) die("poll");
    EMIT("shut", "\"unread\":%d,\"state\":\"%s\",\"pollin\":%s,\"pollrdhup\":%s,\"pollout\":%s,\"pollhup\":%s",
         unread_bytes(fd), tcp_state_name(tcp_state(fd)), p.revents & POLLIN ? "true" : "false",
         p.revents & POLLRDHUP ? "true" : "false", p.revents & POLLOUT ? "true" : "false",
         p.revents & POLLHUP ? "true" : "false");
    two_reads(fd, "after-shutdown");
    wait_unread(fd, 14); /* the client's later bytes: still accepted, acknowledged, queued */
    EMIT("queued", "\"unread\":%d,\"state\":\"%s\"", unread_bytes(fd), tcp_state_name(tcp_state(fd)));
    two_reads(fd, "later-data");
    ssize_t w = write(fd, "reply", 5); /* the other direction is untouched */
    EMIT("replied", "\"ret\":%zd", w);
    if (close(fd) < 0) die("close");
  } else {
    int fd = connect_to(USAGE, argv[2], port);
    if (write(fd, "before", 6) != 6) die("write");
    EMIT("sent", "\"bytes\":6");
    wait_step("send-more");
    if (write(fd, "after-shutdown", 14) != 14) die("write");
    EMIT("sent", "\"bytes\":14");
    char buf[64];
    ssize_t r, got = 0;
    while ((r = read(fd, buf, sizeof buf)) > 0) got += r;
    int e = errno;
    EMIT("reply", "\"bytes\":%zd,\"last\":%zd,\"errno\":\"%s\"", got, r, r < 0 ? errno_name(e) : "");
    if (close(fd) < 0) die("close");
  }
  EMIT("done", NULL);
  return 0;
}
