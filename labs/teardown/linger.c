/*
 * SO_LINGER. `server` accepts one connection and does not read until the lab's SIGUSR1, so its
 * receive buffer fills and its window closes; then it reads everything until end of file or an
 * error. `client` sets SO_LINGER {1, SECONDS}, writes without blocking until the kernel takes no
 * more and the server's window is shut (EAGAIN, the persist timer running: data now waits in
 * its send buffer, unsent), and on the lab's SIGUSR1 calls a blocking close() and reports how
 * long it blocked. SECONDS 0 is the abortive close; a watcher reports the states.
 *
 * usage: linger server ADDR PORT | linger client ADDR PORT SECONDS
 * events: listening; accepted; state {...}; filled {bytes}; waiting; closing; closed {ret, errno, blockedS};
 *         waiting; read {bytes, ret, errno}; done
 */
#include "teardown.h"
#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

static const char *USAGE = "linger server ADDR PORT | linger client ADDR PORT SECONDS";

int main(int argc, char **argv) {
  if (argc < 4 || argc > 5) usage_error(USAGE, "wrong number of arguments");
  int server = strcmp(argv[1], "server") == 0;
  if (!server && strcmp(argv[1], "client") != 0) usage_error(USAGE, "role must be client or server");
  int port = arg_port(USAGE, "PORT", argv[3]);
  steps_init();
  static char buf[1 << 16];

  if (server) {
    int fd = accept_one(listen_on(USAGE, argv[2], port, 1));
    watch_start(fd);
    EMIT("accepted", NULL);
    wait_step("read");
    long total = 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) total += r;
    int e = errno;
    EMIT("read", "\"bytes\":%ld,\"ret\":%zd,\"errno\":\"%s\"", total, r, r < 0 ? errno_name(e) : "");
    if (close(fd) < 0) die("close");
  } else {
    if (argc != 5) usage_error(USAGE, "client needs SECONDS");
    int secs = (int)arg_int(USAGE, "SECONDS", argv[4], 0, 60);
    int fd = connect_to(USAGE, argv[2], port);
    struct linger lg = {.l_onoff = 1, .l_linger = secs};
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0) die("setsockopt(SO_LINGER)");
    watch_start(fd);
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl(O_NONBLOCK)");
    long total = 0;
    memset(buf, 'd', sizeof buf);
    for (;;) {
      ssize_t w = write(fd, buf, sizeof buf);
      if (w > 0) { total += w; continue; }
      if (w < 0 && errno == EAGAIN) break;
      die("write");
    }
    struct tuple t = tuple_of(fd);
    /* EAGAIN only says the send buffer is full; part of it may still be in flight and be
     * accepted by the server. Wait until nothing is in flight, bytes remain unsent and the
     * server's window is shut (the persist timer runs), topping the buffer up as room frees,
     * so close() really has unsent data to discard. */
    for (double deadline = now_s() + 10;;) {
      int outq = 0, unsent = 0;
      if (ioctl(fd, SIOCOUTQ, &outq) < 0) die("ioctl(SIOCOUTQ)");
      if (ioctl(fd, SIOCOUTQNSD, &unsent) < 0) die("ioctl(SIOCOUTQNSD)");
      ssize_t w = write(fd, buf, sizeof buf);
      if (w > 0) { total += w; continue; }
      if (w < 0 && errno != EAGAIN) die("write");
      /* Bytes unsent and none in flight can also be a pause of the pacing or congestion
       * control; the peer's shut window is what arms the persist (zero-window probe) timer. */
      struct diag now;
      if (unsent > 0 && outq == unsent && diag_lookup(&t, &now) && strcmp(now.timer, "persist") == 0) break;
      if (now_s() > deadline) { errno = ETIMEDOUT; die("wait for a shut window"); }
      usleep(1000);
    }
    if (fcntl(fd, F_SETFL, flags) < 0) die("fcntl(~O_NONBLOCK)"); /* close() on a blocking socket */
    struct diag d;
    unsigned queued = diag_lookup(&t, &d) ? d.send_q : 0;
    EMIT("filled", "\"bytes\":%ld,\"sendQ\":%u", total, queued);
    wait_step("close"); /* the lab lets us close once the server holds the connection */
    /* Stamped just before the call: the watcher may see FIN-WAIT-1 within microseconds of it,
     * sooner than "closed" minus blockedS would place the start once the emit is delayed. */
    EMIT("closing", NULL);
    double t0 = now_s();
    int r = close(fd);
    int e = errno;
    double blocked = now_s() - t0;
    char extra[128];
    snprintf(extra, sizeof extra, "\"ret\":%d,\"errno\":\"%s\",\"blockedS\":%.6f", r, r < 0 ? errno_name(e) : "", blocked);
    emit_diag("closed", &t, extra);
    /* The end comes once the lab lets the server read (a loaded machine may take a while): the
     * wait returns as soon as the state is seen, so a long limit costs nothing. */
    watch_until(secs ? TCP_TIME_WAIT : GONE, 60000);
  }
  EMIT("done", NULL);
  return 0;
}
