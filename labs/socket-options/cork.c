/*
 * TCP_CORK and MSG_MORE: the client writes in small pieces under each of them and the server
 * reports when the bytes arrive. Phases on one connection, each started only after everything
 * before it has been acknowledged (SIOCOUTQ = 0), so segments never mix across phases:
 *   cork     TCP_CORK on, 10 writes of 400 bytes, cork left on: full segments leave, the
 *            partial tail waits for the kernel's ceiling
 *   uncork   TCP_CORK on, 3 writes of 100 bytes, 50 ms later TCP_CORK off
 *   more     send(100, MSG_MORE) three times, then send(100) without the flag
 *   more-only  send(100, MSG_MORE) once and nothing after it
 * The 50 ms in `uncork` is the stimulus (how long the application keeps the cork), not a wait for
 * readiness.
 *
 * usage: cork server ADDR PORT
 *        cork client ADDR PORT [cork-only]    cork-only: the first phase and nothing else
 * server events: listening; recv {bytes, total} per read; eof {total}
 * client events: connected {sport}; wrote {phase, bytes, total, rtoUs}; held {queued, rtoUs};
 *                uncorked {total}; drained {phase, rtoUs}
 * rtoUs is TCP_INFO's tcpi_rto: the timer that releases a corked tail is the zero-window probe
 * timer, max(RTO, TCP_RTO_MIN) (tcp_probe0_base()), so the lab compares the hold with it.
 */
#include "addr.h"
#include "tcp_info.h"
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *USAGE = "cork server ADDR PORT | cork client ADDR PORT [cork-only]";

static unsigned rto_us(int fd) {
  struct tcp_info ti;
  socklen_t sl = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) die("getsockopt(TCP_INFO)");
  return ti.tcpi_rto;
}

static void set_cork(int fd, int on) {
  if (setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on) < 0) die("setsockopt(TCP_CORK)");
}

static long total;

static void send_all(int fd, const char *buf, size_t len, int flags) {
  ssize_t n = send(fd, buf, len, flags);
  if (n < 0) die("send");
  if ((size_t)n != len) {
    errno = EMSGSIZE;
    die("send(short)");
  }
  total += n;
}

/* Waits until every byte written so far is acknowledged: the phase boundary. */
static void drained(int fd, const char *phase) {
  double deadline = now_s() + 5.0;
  for (;;) {
    int outq = 0;
    if (ioctl(fd, SIOCOUTQ, &outq) < 0) die("ioctl(SIOCOUTQ)");
    if (outq == 0) break;
    if (now_s() > deadline) {
      errno = ETIMEDOUT;
      die("drain");
    }
    usleep(500);
  }
  emit("drained", "\"phase\":\"%s\",\"total\":%ld,\"rtoUs\":%u", phase, total, rto_us(fd));
}

/*
 * Waits until the full segments are acknowledged while the tail is still queued (nothing in
 * flight, bytes in the send queue): the moment the probe timer is armed. Reports the RTO then.
 */
static void held(int fd) {
  double deadline = now_s() + 5.0;
  for (;;) {
    struct tcp_info ti;
    socklen_t sl = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) die("getsockopt(TCP_INFO)");
    int outq = 0;
    if (ioctl(fd, SIOCOUTQ, &outq) < 0) die("ioctl(SIOCOUTQ)");
    if (ti.tcpi_unacked == 0 && outq > 0) {
      emit("held", "\"queued\":%d,\"rtoUs\":%u", outq, ti.tcpi_rto);
      return;
    }
    if (outq == 0 || now_s() > deadline) return; /* the tail already left: nothing to report */
    usleep(200);
  }
}

static int server(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "server: wrong number of arguments");
  int fd = listening_socket(USAGE, argv[2], argv[3], 1);
  int c = accept(fd, NULL, NULL);
  if (c < 0) die("accept");
  char buf[65536];
  long got = 0;
  for (;;) {
    ssize_t n = read(c, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read");
    if (n == 0) break;
    got += n;
    emit("recv", "\"bytes\":%zd,\"total\":%ld", n, got);
  }
  emit("eof", "\"total\":%ld", got);
  close(c);
  return 0;
}

static int client(int argc, char **argv) {
  if (argc != 4 && !(argc == 5 && strcmp(argv[4], "cork-only") == 0))
    usage_error(USAGE, "client: wrong number of arguments");
  int cork_only = argc == 5;
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
  int fd = socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
  emit("connected", "\"sport\":%d", local_port(fd));
  char buf[400];
  memset(buf, 'c', sizeof buf);

  /* cork: 4000 bytes in 400-byte writes; two full segments can leave, the tail cannot. */
  set_cork(fd, 1);
  for (int i = 0; i < 10; i++) send_all(fd, buf, 400, 0);
  emit("wrote", "\"phase\":\"cork\",\"bytes\":4000,\"total\":%ld,\"rtoUs\":%u", total, rto_us(fd));
  held(fd);
  drained(fd, "cork");
  set_cork(fd, 0);
  if (cork_only) {
    close(fd);
    return 0;
  }

  /* uncork: the application decides when the corked bytes leave. */
  set_cork(fd, 1);
  for (int i = 0; i < 3; i++) send_all(fd, buf, 100, 0);
  emit("wrote", "\"phase\":\"uncork\",\"bytes\":300,\"total\":%ld", total);
  usleep(50000);
  emit("uncorked", "\"total\":%ld", total);
  set_cork(fd, 0);
  drained(fd, "uncork");

  /* more: MSG_MORE per call, flushed by the first send without it. */
  for (int i = 0; i < 3; i++) send_all(fd, buf, 100, MSG_MORE);
  send_all(fd, buf, 100, 0);
  emit("wrote", "\"phase\":\"more\",\"bytes\":400,\"total\":%ld", total);
  drained(fd, "more");

  /* more-only: MSG_MORE and then silence. */
  send_all(fd, buf, 100, MSG_MORE);
  emit("wrote", "\"phase\":\"more-only\",\"bytes\":100,\"total\":%ld", total);
  drained(fd, "more-only");

  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  static const struct probe_role roles[] = {
      {"server", server},
      {"client", client},
  };
  return run_role(argc, argv, USAGE, roles, sizeof roles / sizeof roles[0]);
}
