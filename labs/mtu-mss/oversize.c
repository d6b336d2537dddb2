/*
 * oversize: connects over TCP, then hand-crafts one data segment larger than the MSS the peer
 * advertised and sends it from a raw socket, in sequence, as if the connection itself had sent it.
 *
 * usage: oversize ADDR PORT SIZE
 *
 * How: after connect(), TCP_REPAIR (root) exposes the connection's next send sequence number and
 * next expected receive number (TCP_QUEUE_SEQ on the send and receive queues); the probe leaves
 * repair mode without sending anything (TCP_REPAIR_OFF_NO_WP) and writes an IPv4 + TCP segment
 * (ACK|PSH, no options, DF) with SIZE payload bytes from an IPPROTO_RAW socket. The connection
 * must run without TCP timestamps, so a segment without options is valid. The peer's ACK will
 * acknowledge bytes this socket never sent: the kernel drops that ACK as "acking unsent data".
 * events: connected {sport, sndMss, peerMss}; crafted {seq, ack, size, ipLength}; done
 */
#include "addr.h"
#include "checksum.h"
#include "tcp_info.h"
#include <netinet/ip.h>
#include <stdint.h>
#include <unistd.h>

static const char *USAGE = "oversize ADDR PORT SIZE";
static uint8_t packet[20 + 20 + 9000];

static uint32_t queue_seq(int fd, int queue) {
  if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof queue) < 0) die("setsockopt(TCP_REPAIR_QUEUE)");
  uint32_t seq = 0;
  socklen_t sl = sizeof seq;
  if (getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, &sl) < 0) die("getsockopt(TCP_QUEUE_SEQ)");
  return seq;
}

int main(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[2]);
  long size = arg_int(USAGE, "SIZE", argv[3], 1, 9000);
  struct sockaddr_storage addr;
  socklen_t alen = parse_addr(USAGE, argv[1], port, &addr);
  if (addr.ss_family != AF_INET) usage_error(USAGE, "ADDR must be IPv4");

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&addr, alen) < 0) die("connect");
  char info[768];
  emit("connected", "\"sport\":%d,%s", local_port(fd), tcp_info_json(fd, info, sizeof info));

  struct sockaddr_in local;
  socklen_t ll = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &ll) < 0) die("getsockname");
  int on = 1, off = TCP_REPAIR_OFF_NO_WP;
  if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) < 0) die("setsockopt(TCP_REPAIR)");
  uint32_t snd_nxt = queue_seq(fd, TCP_SEND_QUEUE);
  uint32_t rcv_nxt = queue_seq(fd, TCP_RECV_QUEUE);
  if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof off) < 0) die("setsockopt(TCP_REPAIR, OFF_NO_WP)");

  const struct sockaddr_in *peer = (const struct sockaddr_in *)&addr;
  size_t tcplen = 20 + (size_t)size;
  uint8_t *t = packet + 20;
  memset(packet, 0, 40);
  t[0] = (uint8_t)(ntohs(local.sin_port) >> 8);
  t[1] = (uint8_t)ntohs(local.sin_port);
  memcpy(t + 2, &peer->sin_port, 2);
  uint32_t seq_n = htonl(snd_nxt), ack_n = htonl(rcv_nxt);
  memcpy(t + 4, &seq_n, 4);
  memcpy(t + 8, &ack_n, 4);
  t[12] = 5 << 4;      /* data offset: 20 bytes, no options */
  t[13] = 0x18;        /* PSH | ACK */
  t[14] = 0x01;        /* window 502 (scaled by the negotiated shift) */
  t[15] = 0xf6;
  for (long i = 0; i < size; i++) t[20 + i] = (uint8_t)('A' + i % 26);
  set_tcp_checksum(t, tcplen, local.sin_addr.s_addr, peer->sin_addr.s_addr);
  ipv4_header(packet, local.sin_addr.s_addr, peer->sin_addr.s_addr, IPPROTO_TCP, 20 + tcplen, 1,
              IP_DF);

  int raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (raw < 0) die("socket(SOCK_RAW)");
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = peer->sin_addr};
  if (sendto(raw, packet, 20 + tcplen, 0, (struct sockaddr *)&to, sizeof to) < 0) die("sendto");
  emit("crafted", "\"seq\":%u,\"ack\":%u,\"size\":%ld,\"ipLength\":%zu", snd_nxt, rcv_nxt, size, 20 + tcplen);
  emit("done", NULL);
  for (;;) pause();
}
