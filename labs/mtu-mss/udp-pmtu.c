/*
 * udp-pmtu: what IP_MTU_DISCOVER does to UDP sends, step by step, on one connected socket.
 *
 * usage: udp-pmtu ADDR PORT
 *
 * Steps (each reported as an event):
 *   1. IP_MTU_DISCOVER = IP_PMTUDISC_DO (DF on every datagram, never fragment locally);
 *      IP_MTU before anything was sent (the route's MTU).
 *   2. send 1473 bytes: a 1501-byte packet, one byte over the interface MTU → EMSGSIZE, nothing
 *      leaves.
 *   3. send 1472 bytes: a 1500-byte packet, fits the first link; a router further on may refuse it.
 *   4. wait (up to 3 s) until IP_MTU changes: the ICMP "fragmentation needed" has been applied;
 *      then read SO_ERROR (the ICMP error as reported to a connected socket).
 *   5. send 1472 again → EMSGSIZE now that the path MTU is known; send IP_MTU − 27 (one byte
 *      over) → EMSGSIZE; send IP_MTU − 28 (1252 for 1280) → ok.
 *   6. IP_MTU_DISCOVER = IP_PMTUDISC_DONT; send 1472 → accepted, leaves as fragments sized to the
 *      path MTU, without DF.
 *
 * events: mtu {step, ipMtu}; send {step, size, ret|errno}; pmtu-changed {ipMtu, waitedMs};
 *         so-error {errno}; done
 */
#include "addr.h"
#include <netinet/ip.h>
#include <unistd.h>

static const char *USAGE = "udp-pmtu ADDR PORT";
static char buf[4096];

static void try_send(int fd, const char *step, size_t size) {
  memset(buf, 'u', size);
  ssize_t r = send(fd, buf, size, 0);
  if (r < 0) emit("send", "\"step\":\"%s\",\"size\":%zu,\"errno\":\"%s\"", step, size, errno_name(errno));
  else emit("send", "\"step\":\"%s\",\"size\":%zu,\"ret\":%zd", step, size, r);
}

static void set_pmtudisc(int fd, int mode) {
  if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &mode, sizeof mode) < 0) die("setsockopt(IP_MTU_DISCOVER)");
}

int main(int argc, char **argv) {
  if (argc != 3) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[2]);
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[1], port, &addr);
  if (addr.ss_family != AF_INET) usage_error(USAGE, "ADDR must be IPv4");

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  set_pmtudisc(fd, IP_PMTUDISC_DO);
  if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
  int before = ip_mtu(fd);
  emit("mtu", "\"step\":\"before\",\"ipMtu\":%d", before);

  try_send(fd, "too-big-for-link", (size_t)before - 27);
  try_send(fd, "fits-link", 1472);

  double start = now_s();
  int mtu = before;
  while (mtu == before && now_s() - start < 3.0) {
    usleep(1000);
    mtu = ip_mtu(fd);
  }
  emit("pmtu-changed", "\"ipMtu\":%d,\"waitedMs\":%.3f", mtu, (now_s() - start) * 1000);
  int err = 0;
  socklen_t el = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) die("getsockopt(SO_ERROR)");
  emit("so-error", "\"errno\":\"%s\"", err ? errno_name(err) : "0");

  try_send(fd, "too-big-for-path", 1472);
  try_send(fd, "just-over-path", (size_t)mtu - 27);
  try_send(fd, "fits-path", (size_t)mtu - 28);

  set_pmtudisc(fd, IP_PMTUDISC_DONT);
  try_send(fd, "dont-fragment-off", 1472);
  emit("done", NULL);
  for (;;) pause();
}
