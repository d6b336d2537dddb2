/*
 * capture: packet capture without tcpdump. Writes a pcap file (nanosecond timestamps,
 * LINKTYPE_LINUX_SLL) of what one network namespace sees, on one interface or on all of them.
 *
 * usage: capture OUTFILE.pcap [IFNAME]
 *
 * Prints (one JSON line each, via emit()):
 *   {"event":"ready","file":...,"iface":"veth0"|null,"ifindex":N,"linktype":113,"snaplen":N}
 *       once the socket is bound and receiving: every packet after this line is captured.
 *   {"event":"netdown"}      the bound interface went down or away (capture keeps running).
 *   {"event":"stopped","packets":N,"drops":D}
 *       after SIGTERM/SIGINT: packets already queued are drained and written first. Exit 0.
 * Exit codes: 0 stopped by signal, 64 bad arguments, 70 setup failure (fatal event names the call).
 *
 * How it works: an AF_PACKET SOCK_DGRAM socket ("cooked" mode, the link header is removed and
 * described by the sockaddr_ll instead) created with protocol 0 so it receives nothing until
 * bind() names ETH_P_ALL and the interface; the pcap SLL header is rebuilt from sockaddr_ll
 * (pkttype gives the In/Out direction). Kernel receive timestamps come from SO_TIMESTAMPNS.
 * On loopback every packet passes the tap twice, once leaving (PACKET_OUTGOING) and once
 * arriving (PACKET_HOST): the outgoing copy is skipped there, so each packet is written once.
 * GSO/TSO super-packets (larger than the MTU on lo and veth) are written as they are.
 * Signals are blocked except inside ppoll(), so a stop request is never lost between checks.
 */
#include "common.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#define USAGE "capture OUTFILE.pcap [IFNAME]"
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define LINKTYPE_LINUX_SLL 113
#define SLL_HDR_LEN 16
#define SNAPLEN 262144 /* what tcpdump uses: room for 64 KiB GSO super-packets and more */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* Writes s as a JSON string (with quotes) into out; out must hold 6*len+3 bytes. */
static void json_str(char *out, size_t cap, const char *s) {
  size_t o = 0;
  out[o++] = '"';
  for (; *s && o + 8 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c < 0x20) {
      o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
    } else {
      out[o++] = (char)c;
    }
  }
  out[o++] = '"';
  out[o] = 0;
}

static void put_u16(FILE *f, uint16_t v) {
  if (fwrite(&v, 2, 1, f) != 1) die("fwrite");
}
static void put_u32(FILE *f, uint32_t v) {
  if (fwrite(&v, 4, 1, f) != 1) die("fwrite");
}

static uint8_t buf[SNAPLEN];
static unsigned long packets_written;

/*
 * Reads one packet and writes it. Returns 1 if a packet was read (written or skipped),
 * 0 when nothing is queued (EAGAIN) or the read was interrupted, -1 on ENETDOWN.
 */
static int read_one(int fd, FILE *out) {
  struct sockaddr_ll from;
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
  union {
    char b[CMSG_SPACE(sizeof(struct timespec)) * 2];
    struct cmsghdr align;
  } ctl;
  struct msghdr msg = {
      .msg_name = &from,
      .msg_namelen = sizeof from,
      .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = ctl.b,
      .msg_controllen = sizeof ctl.b,
  };
  memset(&from, 0, sizeof from);
  /* MSG_TRUNC: the return value is the packet's full length even when it did not fit. */
  ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    if (errno == ENETDOWN || errno == ENODEV || errno == ENXIO) return -1;
    die("recvmsg");
  }
  /* Loopback: each packet is seen leaving and arriving; keep only the arrival. */
  if (from.sll_hatype == ARPHRD_LOOPBACK && from.sll_pkttype == PACKET_OUTGOING) return 1;

  struct timespec ts = {0, 0};
  int have_ts = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      have_ts = 1;
    }
  }
  if (!have_ts) clock_gettime(CLOCK_REALTIME, &ts);

  uint32_t orig = (uint32_t)n + SLL_HDR_LEN;
  uint32_t incl = (uint32_t)((size_t)n < sizeof buf ? (size_t)n : sizeof buf) + SLL_HDR_LEN;
  if (incl > SNAPLEN) incl = SNAPLEN;

  /* pcap record header (file byte order: native), then the 16-byte SLL header (big endian). */
  put_u32(out, (uint32_t)ts.tv_sec);
  put_u32(out, (uint32_t)ts.tv_nsec);
  put_u32(out, incl);
  put_u32(out, orig);
  uint8_t sll[SLL_HDR_LEN] = {0};
  sll[0] = 0;
  sll[1] = from.sll_pkttype;
  sll[2] = (uint8_t)(from.sll_hatype >> 8);
  sll[3] = (uint8_t)(from.sll_hatype & 0xff);
  unsigned halen = from.sll_halen > 8 ? 8 : from.sll_halen;
  sll[4] = 0;
  sll[5] = (uint8_t)from.sll_halen;
  memcpy(sll + 6, from.sll_addr, halen);
  memcpy(sll + 14, &from.sll_protocol, 2); /* already network byte order */
  if (fwrite(sll, sizeof sll, 1, out) != 1) die("fwrite");
  if (incl > SLL_HDR_LEN && fwrite(buf, incl - SLL_HDR_LEN, 1, out) != 1) die("fwrite");
  packets_written++;
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) usage_error(USAGE, "expected OUTFILE and optional IFNAME");
  const char *path = argv[1];
  const char *ifname = argc == 3 ? argv[2] : NULL;
  if (!*path) usage_error(USAGE, "OUTFILE must not be empty");
  if (ifname && (!*ifname || strlen(ifname) >= IFNAMSIZ))
    usage_error(USAGE, "IFNAME must be 1..15 characters");

  /* Stop signals are only delivered inside ppoll(), never between a check and a blocking call. */
  sigset_t block, waitmask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  if (sigprocmask(SIG_BLOCK, &block, &waitmask) < 0) die("sigprocmask");
  sigdelset(&waitmask, SIGTERM);
  sigdelset(&waitmask, SIGINT);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) die("sigaction");
  signal(SIGPIPE, SIG_IGN);

  unsigned ifindex = 0;
  if (ifname) {
    ifindex = if_nametoindex(ifname);
    if (!ifindex) die("if_nametoindex");
  }

  FILE *out = fopen(path, "wb");
  if (!out) die("fopen");
  static char outbuf[1 << 20];
  setvbuf(out, outbuf, _IOFBF, sizeof outbuf);
  put_u32(out, PCAP_MAGIC_NSEC);
  put_u16(out, 2);
  put_u16(out, 4);
  put_u32(out, 0); /* thiszone */
  put_u32(out, 0); /* sigfigs */
  put_u32(out, SNAPLEN);
  put_u32(out, LINKTYPE_LINUX_SLL);
  if (fflush(out)) die("fflush");

  /* Protocol 0: receives nothing until bind(), so nothing from other interfaces slips in. */
  int fd = socket(AF_PACKET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) die("SO_TIMESTAMPNS");
  int rcvbuf = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)
    die("SO_RCVBUF");
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) die("bind");
  /* Reset the statistics counters so "drops" covers only the capture proper. */
  struct tpacket_stats st;
  socklen_t stlen = sizeof st;
  getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen);
  unsigned long drops = 0;

  char jpath[6 * 4096 + 3], jif[6 * IFNAMSIZ + 3];
  json_str(jpath, sizeof jpath, path);
  if (ifname) json_str(jif, sizeof jif, ifname);
  else strcpy(jif, "null");
  emit("ready", "\"file\":%s,\"iface\":%s,\"ifindex\":%u,\"linktype\":%d,\"snaplen\":%d", jpath,
       jif, ifindex, LINKTYPE_LINUX_SLL, SNAPLEN);

  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  while (!stop_requested) {
    int r;
    while ((r = read_one(fd, out)) == 1) {
    }
    if (r < 0) {
      emit("netdown", NULL);
      continue;
    }
    if (fflush(out)) die("fflush");
    if (ppoll(&pfd, 1, NULL, &waitmask) < 0 && errno != EINTR) die("ppoll");
  }

  /* Stop: everything already queued on the socket is still written. */
  for (;;) {
    int r = read_one(fd, out);
    if (r == 0) break;
  }
  stlen = sizeof st;
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen) == 0) drops = st.tp_drops;
  if (fclose(out)) die("fclose");
  close(fd);
  emit("stopped", "\"packets\":%lu,\"drops\":%lu", packets_written, drops);
  return 0;
}
