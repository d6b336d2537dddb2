/*
 * SO_RCVBUF / SO_SNDBUF as the kernel stores them: what getsockopt() reads back after a request,
 * the cap at net.core.rmem_max / wmem_max, SO_RCVBUFFORCE with and without CAP_NET_ADMIN, and
 * the window scale a SYN advertises when the receive buffer is set before connect().
 *
 * usage: bufsizes sizes RMEM_MAX WMEM_MAX   (0: derive the limit, see derive_limit())
 *        bufsizes server ADDR PORT
 *        bufsizes client ADDR PORT RCVBUF      (RCVBUF 0: leave the default)
 * sizes events: limit {opt, derived}; default {type, rcvbuf, sndbuf};
 *               set {type, opt, requested, readBack | errno}; dropped-cap {cap}
 * server events: listening; accepted (runs until SIGTERM)
 * client events: connected {sport, rcvbuf, rcvWscale, ...} then exits
 */
#include "addr.h"
#include "tcp_info.h"
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *USAGE =
    "bufsizes sizes RMEM_MAX WMEM_MAX | bufsizes server ADDR PORT | bufsizes client ADDR PORT RCVBUF";

static int get_int(int fd, int opt, const char *name) {
  int v = 0;
  socklen_t l = sizeof v;
  if (getsockopt(fd, SOL_SOCKET, opt, &v, &l) < 0) die(name);
  return v;
}

static void try_set(int fd, const char *type, int opt, const char *optname, int getopt, long requested) {
  int v = (int)requested;
  if (setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v) < 0) {
    emit("set", "\"type\":\"%s\",\"opt\":\"%s\",\"requested\":%ld,\"errno\":\"%s\"", type, optname,
         requested, errno_name(errno));
    return;
  }
  emit("set", "\"type\":\"%s\",\"opt\":\"%s\",\"requested\":%ld,\"readBack\":%d", type, optname,
       requested, get_int(fd, getopt, "getsockopt"));
}

/* Clears CAP_NET_ADMIN from the effective set (raw capget/capset: no libcap needed). */
static void drop_net_admin(void) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &hdr, data) < 0) die("capget");
  data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
  if (syscall(SYS_capset, &hdr, data) < 0) die("capset");
  emit("dropped-cap", "\"cap\":\"CAP_NET_ADMIN\"");
}

/*
 * The cap a request meets when the limit cannot be read (net.core.rmem_max/wmem_max are not shown
 * inside a network namespace before Linux 6.11): half the read-back of an INT_MAX request.
 */
static long derive_limit(int opt, const char *optname) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  int v = 0x7fffffff;
  if (setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v) < 0) die("setsockopt(INT_MAX)");
  long limit = get_int(fd, opt, "getsockopt") / 2;
  close(fd);
  emit("limit", "\"opt\":\"%s\",\"derived\":%ld", optname, limit);
  return limit;
}

static int sizes(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "sizes: wrong number of arguments");
  long rmem_max = arg_int(USAGE, "RMEM_MAX", argv[2], 0, 1L << 30);
  long wmem_max = arg_int(USAGE, "WMEM_MAX", argv[3], 0, 1L << 30);
  if (rmem_max == 0) rmem_max = derive_limit(SO_RCVBUF, "SO_RCVBUF");
  if (wmem_max == 0) wmem_max = derive_limit(SO_SNDBUF, "SO_SNDBUF");
  const struct { const char *name; int type; } types[] = {{"tcp", SOCK_STREAM}, {"udp", SOCK_DGRAM}};
  for (size_t i = 0; i < 2; i++) {
    int fd = socket(AF_INET, types[i].type, 0);
    if (fd < 0) die("socket");
    emit("default", "\"type\":\"%s\",\"rcvbuf\":%d,\"sndbuf\":%d", types[i].name,
         get_int(fd, SO_RCVBUF, "getsockopt(SO_RCVBUF)"), get_int(fd, SO_SNDBUF, "getsockopt(SO_SNDBUF)"));
    close(fd);
  }
  /* Each request on a fresh socket, so one cannot influence the next. */
  const long rcv[] = {1, 65536, rmem_max, 4 * rmem_max};
  const long snd[] = {1, 65536, wmem_max, 4 * wmem_max};
  for (size_t i = 0; i < 2; i++) {
    for (size_t k = 0; k < 4; k++) {
      int fd = socket(AF_INET, types[i].type, 0);
      if (fd < 0) die("socket");
      try_set(fd, types[i].name, SO_RCVBUF, "SO_RCVBUF", SO_RCVBUF, rcv[k]);
      close(fd);
      fd = socket(AF_INET, types[i].type, 0);
      if (fd < 0) die("socket");
      try_set(fd, types[i].name, SO_SNDBUF, "SO_SNDBUF", SO_SNDBUF, snd[k]);
      close(fd);
    }
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  try_set(fd, "udp", SO_RCVBUFFORCE, "SO_RCVBUFFORCE", SO_RCVBUF, 4 * rmem_max);
  close(fd);
  drop_net_admin();
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  try_set(fd, "udp", SO_RCVBUFFORCE, "SO_RCVBUFFORCE", SO_RCVBUF, 4 * rmem_max);
  close(fd);
  return 0;
}

static int server(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "server: wrong number of arguments");
  int fd = listening_socket(USAGE, argv[2], argv[3], 8);
  for (;;) {
    int c = accept(fd, NULL, NULL);
    if (c < 0 && errno == EINTR) continue;
    if (c < 0) die("accept");
    emit("accepted", NULL);
  }
  return 0;
}

static int client(int argc, char **argv) {
  if (argc != 5) usage_error(USAGE, "client: wrong number of arguments");
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
  int rcvbuf = (int)arg_int(USAGE, "RCVBUF", argv[4], 0, 1 << 30);
  int fd = socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  /* Before connect(): the SYN's window and window scale are chosen from it. */
  if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) die("setsockopt(SO_RCVBUF)");
  if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
  char info[768];
  emit("connected", "\"sport\":%d,\"requested\":%d,\"rcvbuf\":%d,%s", local_port(fd), rcvbuf,
       get_int(fd, SO_RCVBUF, "getsockopt(SO_RCVBUF)"), tcp_info_json(fd, info, sizeof info));
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  static const struct probe_role roles[] = {
      {"sizes", sizes},
      {"server", server},
      {"client", client},
  };
  return run_role(argc, argv, USAGE, roles, sizeof roles / sizeof roles[0]);
}
