/*
 * udp-send: a scripted sequence of UDP sends on one connected socket, each with its own
 * IP_MTU_DISCOVER mode, to show who fragments a datagram: the sender, a router, or nobody.
 *
 * usage: udp-send ADDR PORT STEP...
 *   STEP is MODE:SIZE (MODE dont|want|do, SIZE payload bytes) or `wait-pmtu`, which waits (up to
 *   3 s) until IP_MTU falls below its value at the start, i.e. until an ICMP "fragmentation
 *   needed" has been applied to the route, then reads and clears SO_ERROR.
 * events: start {ipMtu}; send {i, mode, size, ret|errno}; pmtu {ipMtu, waitedMs, soError}; done
 */
#include "addr.h"
#include <netinet/ip.h>
#include <unistd.h>

static const char *USAGE = "udp-send ADDR PORT STEP... (STEP = dont|want|do:SIZE or wait-pmtu)";
static char buf[65536];

int main(int argc, char **argv) {
  if (argc < 4) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[2]);
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[1], port, &addr);
  if (addr.ss_family != AF_INET) usage_error(USAGE, "ADDR must be IPv4");
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
  int initial = ip_mtu(fd);
  emit("start", "\"ipMtu\":%d", initial);
  memset(buf, 'u', sizeof buf);

  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "wait-pmtu") == 0) {
      double start = now_s();
      int mtu = ip_mtu(fd);
      while (mtu >= initial && now_s() - start < 3.0) {
        usleep(1000);
        mtu = ip_mtu(fd);
      }
      int err = 0;
      socklen_t el = sizeof err;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) die("getsockopt(SO_ERROR)");
      emit("pmtu", "\"ipMtu\":%d,\"waitedMs\":%.3f,\"soError\":\"%s\"", mtu, (now_s() - start) * 1000,
           err ? errno_name(err) : "0");
      continue;
    }
    char *colon = strchr(argv[i], ':');
    if (!colon) usage_error(USAGE, "STEP must be MODE:SIZE or wait-pmtu");
    *colon = 0;
    int mode;
    if (strcmp(argv[i], "dont") == 0) mode = IP_PMTUDISC_DONT;
    else if (strcmp(argv[i], "want") == 0) mode = IP_PMTUDISC_WANT;
    else if (strcmp(argv[i], "do") == 0) mode = IP_PMTUDISC_DO;
    else usage_error(USAGE, "MODE must be dont, want or do");
    long size = arg_int(USAGE, "SIZE", colon + 1, 1, 65507);
    if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &mode, sizeof mode) < 0) die("setsockopt(IP_MTU_DISCOVER)");
    ssize_t r = send(fd, buf, (size_t)size, 0);
    if (r < 0) emit("send", "\"i\":%d,\"mode\":\"%s\",\"size\":%ld,\"errno\":\"%s\"", i - 3, argv[i], size, errno_name(errno));
    else emit("send", "\"i\":%d,\"mode\":\"%s\",\"size\":%ld,\"ret\":%zd", i - 3, argv[i], size, r);
  }
  emit("done", NULL);
  for (;;) pause();
}
