/* Address parsing and printing shared by probes: IPv4 and IPv6 literals only, never names. */
#ifndef PROBE_ADDR_H
#define PROBE_ADDR_H

#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Fills ss from an address literal and a port; exits with a usage error on a bad literal. */
static inline socklen_t parse_addr(const char *usage, const char *text, int port,
                                   struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    return sizeof *v4;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    return sizeof *v6;
  }
  char msg[128];
  snprintf(msg, sizeof msg, "'%s' is not an IPv4 or IPv6 address literal", text);
  usage_error(usage, msg);
  return 0;
}

/* "198.51.100.1:40000" or "[2001:db8::1]:40000" into buf. */
static inline const char *format_addr(const struct sockaddr_storage *ss, char *buf, size_t len) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    snprintf(buf, len, "%s:%u", host, ntohs(v4->sin_port));
  } else {
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    snprintf(buf, len, "[%s]:%u", host, ntohs(v6->sin6_port));
  }
  return buf;
}

static inline int local_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) return -1;
  return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                       : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* socket(), SO_REUSEADDR and bind() on addr: a socket ready for its options and listen().
 * SO_REUSEADDR so a lab's listener never trips over an earlier run's TIME-WAIT. */
static inline int bound_socket(int type, const struct sockaddr_storage *addr, socklen_t alen) {
  int fd = socket(addr->ss_family, type, 0);
  if (fd < 0) die("socket");
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("setsockopt(SO_REUSEADDR)");
  if (bind(fd, (const struct sockaddr *)addr, alen) < 0) die("bind");
  return fd;
}

/* A TCP listener on `addr`:`port` with `backlog`, SO_REUSEADDR when `reuse`; *ss gets the
 * address. Emits nothing: callers announce it in their own words. */
static inline int tcp_listener(const char *usage, const char *addr, int port, int backlog, int reuse,
                               struct sockaddr_storage *ss) {
  socklen_t len = parse_addr(usage, addr, port, ss);
  int fd = socket(ss->ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse) < 0)
    die("setsockopt(SO_REUSEADDR)");
  if (bind(fd, (struct sockaddr *)ss, len) < 0) die("bind");
  if (listen(fd, backlog) < 0) die("listen");
  return fd;
}

/* The opening of most probe servers: a listener on ADDR PORT (argv strings, validated) with
 * SO_REUSEADDR and `backlog`, announced as "listening". */
static inline int listening_socket(const char *usage, const char *addr_arg, const char *port_arg, int backlog) {
  struct sockaddr_storage ss;
  int fd = tcp_listener(usage, addr_arg, arg_port(usage, "PORT", port_arg), backlog, 1, &ss);
  emit("listening", NULL);
  return fd;
}

/* The path MTU the kernel holds for a connected IPv4 socket (IP_MTU, ip(7)). */
static inline int ip_mtu(int fd) {
  int mtu = 0;
  socklen_t sl = sizeof mtu;
  if (getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &sl) < 0) die("getsockopt(IP_MTU)");
  return mtu;
}

/* A blocking connect() to ADDR:PORT given as text (IPv4 or IPv6); dies naming the call. */
static inline int connect_to(const char *usage, const char *addr, int port) {
  struct sockaddr_storage ss;
  socklen_t len = parse_addr(usage, addr, port, &ss);
  int fd = socket(ss.ss_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&ss, len) < 0) die("connect");
  return fd;
}

#endif
