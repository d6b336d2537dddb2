/*
 * ip-ids: UDP datagrams from four sockets that differ only in how they are set up, to read the
 * IPv4 identification Linux gives each (ip_select_ident_segs() in include/net/ip.h).
 *
 * usage: ip-ids sink ADDR PORT          bind ADDR:PORT and read datagrams until SIGTERM
 *        ip-ids send ADDR PORT COUNT    COUNT 100-byte datagrams from each socket in turn:
 *                                       unconnected-want  sendto(), default IP_PMTUDISC_WANT
 *                                       unconnected-do    sendto(), IP_PMTUDISC_DO
 *                                       unconnected-dont  sendto(), IP_PMTUDISC_DONT
 *                                       connected         connect() once, then send()
 * events: listening; read {len}; socket {mode, sport}; sent {mode, count}; done
 */
#include "addr.h"
#include <netinet/ip.h>
#include <unistd.h>

static const char *USAGE = "ip-ids sink ADDR PORT | ip-ids send ADDR PORT COUNT";

static int sink(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "sink: wrong number of arguments");
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
  int fd = bound_socket(SOCK_DGRAM, &addr, alen);
  emit("listening", NULL);
  char buf[2048];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("recv");
    emit("read", "\"len\":%zd", n);
  }
  return 0;
}

static int send_all(int argc, char **argv) {
  if (argc != 5) usage_error(USAGE, "send: wrong number of arguments");
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[2], arg_port(USAGE, "PORT", argv[3]), &addr);
  if (addr.ss_family != AF_INET) usage_error(USAGE, "ADDR must be IPv4");
  long count = arg_int(USAGE, "COUNT", argv[4], 1, 100);
  static const struct { const char *name; int pmtudisc; int connect; } modes[] = {
      {"unconnected-want", IP_PMTUDISC_WANT, 0},
      {"unconnected-do", IP_PMTUDISC_DO, 0},
      {"unconnected-dont", IP_PMTUDISC_DONT, 0},
      {"connected", IP_PMTUDISC_WANT, 1},
  };
  char payload[100];
  memset(payload, 'i', sizeof payload);
  for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) die("socket");
    int v = modes[m].pmtudisc;
    if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v) < 0) die("setsockopt(IP_MTU_DISCOVER)");
    if (modes[m].connect) {
      if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
    } else {
      struct sockaddr_in any = {.sin_family = AF_INET};
      if (bind(fd, (struct sockaddr *)&any, sizeof any) < 0) die("bind");
    }
    emit("socket", "\"mode\":\"%s\",\"sport\":%d", modes[m].name, local_port(fd));
    for (long i = 0; i < count; i++) {
      ssize_t r = modes[m].connect ? send(fd, payload, sizeof payload, 0)
                                   : sendto(fd, payload, sizeof payload, 0, (struct sockaddr *)&addr, alen);
      if (r < 0) die(modes[m].connect ? "send" : "sendto");
    }
    emit("sent", "\"mode\":\"%s\",\"count\":%ld", modes[m].name, count);
    close(fd);
  }
  emit("done", NULL);
  for (;;) pause();
  return 0;
}

int main(int argc, char **argv) {
  static const struct probe_role roles[] = {{"sink", sink}, {"send", send_all}};
  return run_role(argc, argv, USAGE, roles, sizeof roles / sizeof roles[0]);
}
