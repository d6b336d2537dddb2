/*
 * mcast: the Multicast chapter's probe, a receiver or a sender of UDP multicast (ip(7)).
 *
 * usage: mcast recv BIND PORT GROUP|- IFADDR TIMEOUT_MS
 *            bind BIND:PORT (a group address or 0.0.0.0), join GROUP on the interface that owns
 *            IFADDR with IP_ADD_MEMBERSHIP ("-": join nothing), then read datagrams until one
 *            whose payload is "end" (or TIMEOUT_MS passes), then IP_DROP_MEMBERSHIP and exit.
 *        mcast send GROUP PORT IFADDR|route SPECS END
 *            one socket; IFADDR sets IP_MULTICAST_IF ("route": leave it unset, so the routing
 *            table must know the group). SPECS is a comma list of LABEL:TTL:LOOP:COUNT: for each,
 *            set IP_MULTICAST_TTL and IP_MULTICAST_LOOP (-1: leave as is), then sendto() COUNT
 *            datagrams "LABEL-i" to GROUP:PORT. Last, with TTL 1 and loop on, one "end" to each
 *            group in the comma list END ("-": none), so every receiver knows nothing more is
 *            coming: datagrams of one socket on one path arrive in order, so "end" proves that
 *            earlier ones it did not see are not merely late.
 *
 * events: joined {group, ifaddr, bind}; datagram {payload, from, dst, ttl}; done {received};
 *         timeout {received}; left {group}; option {name, value, ret|errno};
 *         sent {label, i, ret|errno}; finished {sent, failed}
 */
#include "../probes/addr.h"
#include <netinet/ip.h>
#include <unistd.h>

static const char *USAGE =
    "mcast recv BIND PORT GROUP|- IFADDR TIMEOUT_MS | mcast send GROUP PORT IFADDR|route SPECS END|-";

static struct in_addr parse_v4(const char *text) {
  struct in_addr a;
  if (inet_pton(AF_INET, text, &a) != 1) {
    char msg[96];
    snprintf(msg, sizeof msg, "'%s' is not an IPv4 address literal", text);
    usage_error(USAGE, msg);
  }
  return a;
}

static int do_recv(int argc, char **argv) {
  if (argc != 7) usage_error(USAGE, "recv takes BIND PORT GROUP|- IFADDR TIMEOUT_MS");
  struct in_addr bind_addr = parse_v4(argv[2]);
  int port = arg_port(USAGE, "PORT", argv[3]);
  int join = strcmp(argv[4], "-") != 0;
  struct in_addr ifaddr = parse_v4(argv[5]);
  long timeout_ms = arg_int(USAGE, "TIMEOUT_MS", argv[6], 1, 600000);

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  int one = 1;
  /* Several receivers on one host may bind the same group port (ip(7), SO_REUSEADDR). */
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("setsockopt(SO_REUSEADDR)");
  if (setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one) < 0) die("setsockopt(IP_RECVTTL)");
  if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) die("setsockopt(IP_PKTINFO)");
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = bind_addr};
  if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) die("bind");
  struct ip_mreqn mreq;
  memset(&mreq, 0, sizeof mreq);
  if (join) {
    mreq.imr_multiaddr = parse_v4(argv[4]);
    mreq.imr_address = ifaddr;
    /* Joining schedules the membership report at once (ip_mc_inc_group() → igmp_group_added()). */
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0) die("setsockopt(IP_ADD_MEMBERSHIP)");
  }
  emit("joined", "\"group\":\"%s\",\"ifaddr\":\"%s\",\"bind\":\"%s\"", argv[4], argv[5], argv[2]);

  double deadline = now_s() + timeout_ms / 1000.0;
  int received = 0, ended = 0;
  while (!ended) {
    double left = deadline - now_s();
    if (left <= 0) break;
    struct timeval tv = {.tv_sec = (time_t)left, .tv_usec = (suseconds_t)((left - (time_t)left) * 1e6)};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) die("setsockopt(SO_RCVTIMEO)");
    char payload[256], cbuf[256];
    struct sockaddr_in from;
    struct iovec iov = {.iov_base = payload, .iov_len = sizeof payload - 1};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t n = recvmsg(fd, &msg, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      die("recvmsg");
    }
    payload[n] = 0;
    int ttl = -1;
    char dst[INET_ADDRSTRLEN] = "?", src[INET_ADDRSTRLEN] = "?";
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        inet_ntop(AF_INET, &pi.ipi_addr, dst, sizeof dst);
      }
    }
    inet_ntop(AF_INET, &from.sin_addr, src, sizeof src);
    emit("datagram", "\"payload\":\"%.64s\",\"from\":\"%s\",\"dst\":\"%s\",\"ttl\":%d", payload, src, dst, ttl);
    if (strcmp(payload, "end") == 0) ended = 1;
    else received++;
  }
  emit(ended ? "done" : "timeout", "\"received\":%d", received);
  if (join) {
    /* The last member on the interface leaving makes the kernel announce it (leave or v3 TO_IN). */
    if (setsockopt(fd, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mreq, sizeof mreq) < 0) die("setsockopt(IP_DROP_MEMBERSHIP)");
    emit("left", "\"group\":\"%s\"", argv[4]);
  }
  close(fd);
  return 0;
}

static void set_opt(int fd, int name, const char *label, int value) {
  unsigned char v8 = (unsigned char)value;
  /* ip(7): IP_MULTICAST_TTL and IP_MULTICAST_LOOP take an int or a single byte; pass a byte. */
  int r = setsockopt(fd, IPPROTO_IP, name, &v8, sizeof v8);
  if (r < 0) die(label);
}

static int do_send(int argc, char **argv) {
  if (argc != 7) usage_error(USAGE, "send takes GROUP PORT IFADDR|route SPECS END|-");
  struct in_addr group = parse_v4(argv[2]);
  int port = arg_port(USAGE, "PORT", argv[3]);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (strcmp(argv[4], "route") != 0) {
    struct ip_mreqn ifreq;
    memset(&ifreq, 0, sizeof ifreq);
    ifreq.imr_address = parse_v4(argv[4]);
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifreq, sizeof ifreq) < 0) die("setsockopt(IP_MULTICAST_IF)");
  }
  /* The defaults before anything is set: TTL 1, loop on (ip(7)). */
  int ttl0 = -1, loop0 = -1;
  socklen_t sl = sizeof ttl0;
  getsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl0, &sl);
  sl = sizeof loop0;
  getsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop0, &sl);
  emit("defaults", "\"ttl\":%d,\"loop\":%d", ttl0 & 0xff, loop0 & 0xff);

  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = group};
  int sent = 0, failed = 0;
  char specs[512];
  snprintf(specs, sizeof specs, "%s", argv[5]);
  char *save = NULL;
  for (char *spec = strtok_r(specs, ",", &save); spec; spec = strtok_r(NULL, ",", &save)) {
    char label[32];
    int ttl, loop, count;
    if (sscanf(spec, "%31[^:]:%d:%d:%d", label, &ttl, &loop, &count) != 4 || ttl < -1 || ttl > 255 || loop < -1 || loop > 1 || count < 0 || count > 100)
      usage_error(USAGE, "SPECS entries look like LABEL:TTL:LOOP:COUNT");
    if (ttl >= 0) set_opt(fd, IP_MULTICAST_TTL, "setsockopt(IP_MULTICAST_TTL)", ttl);
    if (loop >= 0) set_opt(fd, IP_MULTICAST_LOOP, "setsockopt(IP_MULTICAST_LOOP)", loop);
    for (int i = 1; i <= count; i++) {
      char payload[64];
      int len = snprintf(payload, sizeof payload, "%s-%d", label, i);
      ssize_t r = sendto(fd, payload, (size_t)len, 0, (struct sockaddr *)&to, sizeof to);
      if (r < 0) {
        failed++;
        emit("sent", "\"label\":\"%s\",\"i\":%d,\"ttl\":%d,\"loop\":%d,\"errno\":\"%s\"", label, i, ttl, loop, errno_name(errno));
      } else {
        sent++;
        emit("sent", "\"label\":\"%s\",\"i\":%d,\"ttl\":%d,\"loop\":%d,\"ret\":%zd", label, i, ttl, loop, r);
      }
    }
  }
  set_opt(fd, IP_MULTICAST_TTL, "setsockopt(IP_MULTICAST_TTL)", 1);
  set_opt(fd, IP_MULTICAST_LOOP, "setsockopt(IP_MULTICAST_LOOP)", 1);
  char ends[256];
  snprintf(ends, sizeof ends, "%s", argv[6]);
  save = NULL;
  for (char *g = strtok_r(ends, ",", &save); g && strcmp(g, "-") != 0; g = strtok_r(NULL, ",", &save)) {
    to.sin_addr = parse_v4(g);
    ssize_t r = sendto(fd, "end", 3, 0, (struct sockaddr *)&to, sizeof to);
    if (r < 0) emit("end", "\"group\":\"%s\",\"errno\":\"%s\"", g, errno_name(errno));
    else emit("end", "\"group\":\"%s\",\"ret\":%zd", g, r);
  }
  emit("finished", "\"sent\":%d,\"failed\":%d", sent, failed);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "recv") == 0) return do_recv(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "send") == 0) return do_send(argc, argv);
  usage_error(USAGE, "first argument must be recv or send");
  return 64;
}
