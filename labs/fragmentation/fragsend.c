/*
 * fragsend: builds one UDP datagram and sends it as hand-made IPv4 fragments from a raw socket
 * (IPPROTO_RAW, which implies IP_HDRINCL), optionally leaving one fragment out.
 *
 * usage: fragsend SRC DST PORT ID SIZE SKIP
 *   SIZE   UDP payload bytes; the datagram (8-byte UDP header + payload) is cut into fragments
 *          of 1480 bytes (1500-byte packets), the last one shorter.
 *   ID     the IP identification shared by every fragment (1..65535).
 *   SKIP   index of the fragment not to send, or -1 to send them all.
 *
 * The UDP checksum covers the whole datagram, so the receiver can only accept it reassembled.
 * The kernel fills in the IP total length and header checksum (raw(7)); everything else is ours.
 * events: fragment {index, offset, offsetUnits, length, mf, sent}; done {fragments, sent}
 */
#include "common.h"
#include "checksum.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *USAGE = "fragsend SRC DST PORT ID SIZE SKIP";
#define FRAG_DATA 1480 /* 1500 − 20: a multiple of 8, as every fragment but the last must be */
#define MAX_SIZE 60000

static uint8_t datagram[8 + MAX_SIZE];
static uint8_t packet[20 + FRAG_DATA];

int main(int argc, char **argv) {
  if (argc != 7) usage_error(USAGE, "wrong number of arguments");
  struct in_addr src, dst;
  if (inet_pton(AF_INET, argv[1], &src) != 1) usage_error(USAGE, "SRC must be an IPv4 literal");
  if (inet_pton(AF_INET, argv[2], &dst) != 1) usage_error(USAGE, "DST must be an IPv4 literal");
  int port = arg_port(USAGE, "PORT", argv[3]);
  int id = (int)arg_int(USAGE, "ID", argv[4], 1, 65535);
  long size = arg_int(USAGE, "SIZE", argv[5], 1, MAX_SIZE);
  int skip = (int)arg_int(USAGE, "SKIP", argv[6], -1, 64);

  /* The whole UDP datagram first, with its checksum over the pseudo-header (RFC 768). */
  size_t ulen = 8 + (size_t)size;
  struct udphdr *uh = (struct udphdr *)datagram;
  uh->source = htons(40000);
  uh->dest = htons((uint16_t)port);
  uh->len = htons((uint16_t)ulen);
  uh->check = 0;
  for (long i = 0; i < size; i++) datagram[8 + i] = (uint8_t)('a' + i % 26);
  uint16_t check = pseudo_checksum(datagram, ulen, src.s_addr, dst.s_addr, IPPROTO_UDP);
  uh->check = htons(check ? check : 0xffff);

  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0) die("socket(SOCK_RAW)");
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};

  int count = 0, sent = 0;
  for (size_t off = 0; off < ulen; off += FRAG_DATA, count++) {
    size_t len = ulen - off < FRAG_DATA ? ulen - off : FRAG_DATA;
    int mf = off + len < ulen;
    ipv4_header(packet, src.s_addr, dst.s_addr, IPPROTO_UDP, 20 + len, (uint16_t)id,
                (uint16_t)((mf ? IP_MF : 0) | (off / 8)));
    memcpy(packet + 20, datagram + off, len);
    int send_it = count != skip;
    if (send_it) {
      if (sendto(fd, packet, 20 + len, 0, (struct sockaddr *)&to, sizeof to) < 0) die("sendto");
      sent++;
    }
    emit("fragment", "\"index\":%d,\"offset\":%zu,\"offsetUnits\":%zu,\"length\":%zu,\"mf\":%s,\"sent\":%s",
         count, off, off / 8, 20 + len, mf ? "true" : "false", send_it ? "true" : "false");
  }
  emit("done", "\"fragments\":%d,\"sent\":%d", count, sent);
  return 0;
}
