/*
 * synsend: SYNs without a socket behind them, and a watch on the listener's requests.
 *
 * usage: synsend send SRC_FIRST COUNT DST DPORT SPORT
 *        synsend watch PORT TIMEOUT_MS
 *
 * send: writes COUNT TCP SYN segments from an IPPROTO_RAW socket (the IPv4 header is ours), from
 *   source addresses SRC_FIRST, SRC_FIRST+1, ... (one SYN each, source port SPORT) to DST:DPORT.
 *   Each carries the options a Linux client sends (mss 1460, sackOK, TS, nop, wscale 7) so that
 *   the listener treats it like any other SYN. Only the lab's own namespaces see these packets:
 *   the lab routes the source addresses to a host that does not own them and drops whatever the
 *   listener sends back, so no RST ever answers a SYN-ACK.
 *   events: sent {count, first, last}
 *
 * watch: reads /proc/net/tcp every 10 ms and follows the half-open requests (state SYN-RECV,
 *   tcp4_seq_show() → get_openreq4()) of local port PORT: when one appears, when its
 *   retransmission count (req->num_timeout, the "retrnsmt" column) changes, and when it is gone.
 *   Ends when every request it saw is gone, or after TIMEOUT_MS.
 *   events: request {peer, retransmits}; gone {peer, retransmits}; done {seen}
 */
#include "addr.h"
#include "checksum.h"
#include <netinet/ip.h>
#include <stdint.h>
#include <unistd.h>

static const char *USAGE = "synsend send SRC_FIRST COUNT DST DPORT SPORT | synsend watch PORT TIMEOUT_MS";

static int send_syns(int argc, char **argv) {
  if (argc != 7) usage_error(USAGE, "send: wrong number of arguments");
  struct in_addr first, dst;
  if (inet_pton(AF_INET, argv[2], &first) != 1) usage_error(USAGE, "SRC_FIRST must be an IPv4 literal");
  int count = (int)arg_int(USAGE, "COUNT", argv[3], 1, 200);
  if (inet_pton(AF_INET, argv[4], &dst) != 1) usage_error(USAGE, "DST must be an IPv4 literal");
  int dport = arg_port(USAGE, "DPORT", argv[5]);
  int sport = arg_port(USAGE, "SPORT", argv[6]);

  int raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (raw < 0) die("socket(SOCK_RAW)");
  srandom((unsigned)(getpid() ^ (unsigned)(now_s() * 1e6)));
  uint8_t pkt[20 + 40];
  char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
  uint32_t src = ntohl(first.s_addr);
  for (int i = 0; i < count; i++) {
    memset(pkt, 0, sizeof pkt);
    uint8_t *t = pkt + 20;
    t[0] = (uint8_t)(sport >> 8);
    t[1] = (uint8_t)sport;
    t[2] = (uint8_t)(dport >> 8);
    t[3] = (uint8_t)dport;
    uint32_t seq = htonl((uint32_t)random());
    memcpy(t + 4, &seq, 4);
    t[12] = 10 << 4; /* 40 bytes: 20 of header, 20 of options */
    t[13] = 0x02;    /* SYN */
    t[14] = 0xfa;    /* window 64240, what a Linux client offers with MSS 1460 */
    t[15] = 0xf0;
    uint8_t *o = t + 20;
    uint32_t tsval = htonl((uint32_t)random());
    const uint8_t opts[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
    memcpy(o, opts, sizeof opts);
    memcpy(o + 8, &tsval, 4);
    uint32_t s = htonl(src + (uint32_t)i);
    set_tcp_checksum(t, 40, s, dst.s_addr);
    ipv4_header(pkt, s, dst.s_addr, IPPROTO_TCP, sizeof pkt, 0, IP_DF);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};
    if (sendto(raw, pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to) < 0) die("sendto");
  }
  struct in_addr last = {.s_addr = htonl(src + (uint32_t)count - 1)};
  emit("sent", "\"count\":%d,\"first\":\"%s\",\"last\":\"%s\"", count,
       inet_ntop(AF_INET, &first, a, sizeof a), inet_ntop(AF_INET, &last, b, sizeof b));
  return 0;
}

#define MAX_REQ 256
struct req {
  char peer[32];
  int retrans;
  int alive;
};

static int watch(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "watch: wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[2]);
  long timeout_ms = arg_int(USAGE, "TIMEOUT_MS", argv[3], 1, 600000);
  struct req reqs[MAX_REQ];
  int n = 0;
  double deadline = now_s() + timeout_ms / 1000.0;
  emit("watching", "\"port\":%d", port);
  while (now_s() < deadline) {
    FILE *f = fopen("/proc/net/tcp", "r");
    if (!f) die("fopen(/proc/net/tcp)");
    for (int i = 0; i < n; i++) reqs[i].alive = 0;
    char line[512];
    if (!fgets(line, sizeof line, f)) die("fgets(/proc/net/tcp)"); /* header */
    while (fgets(line, sizeof line, f)) {
      unsigned laddr, lport, raddr, rport, st, tr, tx, rx, retrans;
      unsigned long when;
      if (sscanf(line, " %*d: %8X:%4X %8X:%4X %2X %8X:%8X %2X:%8lX %8X", &laddr, &lport, &raddr, &rport,
                 &st, &tx, &rx, &tr, &when, &retrans) != 10)
        continue;
      if ((int)lport != port || st != 3 /* TCP_SYN_RECV */) continue;
      struct in_addr ra = {.s_addr = raddr}; /* printed as the raw 32-bit word: network order on every CPU */
      char peer[32], ip[INET_ADDRSTRLEN];
      snprintf(peer, sizeof peer, "%s:%u", inet_ntop(AF_INET, &ra, ip, sizeof ip), rport);
      int k = 0;
      while (k < n && strcmp(reqs[k].peer, peer) != 0) k++;
      if (k == n) {
        if (n == MAX_REQ) continue;
        snprintf(reqs[n].peer, sizeof reqs[n].peer, "%s", peer);
        reqs[n].retrans = -1;
        n++;
      }
      reqs[k].alive = 1;
      if ((int)retrans != reqs[k].retrans) {
        reqs[k].retrans = (int)retrans;
        emit("request", "\"peer\":\"%s\",\"retransmits\":%u", peer, retrans);
      }
    }
    fclose(f);
    int alive = 0;
    for (int i = 0; i < n; i++) {
      if (!reqs[i].alive && reqs[i].retrans >= 0) {
        emit("gone", "\"peer\":\"%s\",\"retransmits\":%d", reqs[i].peer, reqs[i].retrans);
        reqs[i].retrans = -2; /* reported */
      }
      if (reqs[i].alive) alive++;
    }
    if (n > 0 && alive == 0) break;
    usleep(10000);
  }
  emit("done", "\"seen\":%d", n);
  return 0;
}

int main(int argc, char **argv) {
  static const struct probe_role roles[] = {{"send", send_syns}, {"watch", watch}};
  return run_role(argc, argv, USAGE, roles, sizeof roles / sizeof roles[0]);
}
