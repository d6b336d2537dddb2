/*
 * Hand-built packets for probes that write IP, UDP or TCP headers themselves (raw sockets with
 * IPPROTO_RAW): the Internet checksum (RFC 1071), the TCP/UDP checksum over the IPv4
 * pseudo-header, and the IPv4 header they all send.
 */
#ifndef PROBE_CHECKSUM_H
#define PROBE_CHECKSUM_H

#include <netinet/in.h>
#include <netinet/ip.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Adds n bytes to a running one's-complement sum (an odd last byte is padded with zero). */
static inline uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) acc += (uint32_t)(p[n - 1] << 8);
  return acc;
}

/* The checksum field for a running sum: carries folded in, then complemented. */
static inline uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)~acc;
}

/* The checksum of a TCP segment or UDP datagram of len bytes from src to dst (addresses in
 * network order), over the IPv4 pseudo-header (RFC 9293 §3.1, RFC 768), in host order. */
static inline uint16_t pseudo_checksum(const uint8_t *seg, size_t len, in_addr_t src, in_addr_t dst,
                                       uint8_t proto) {
  uint8_t pseudo[12];
  memcpy(pseudo, &src, 4);
  memcpy(pseudo + 4, &dst, 4);
  pseudo[8] = 0;
  pseudo[9] = proto;
  pseudo[10] = (uint8_t)(len >> 8);
  pseudo[11] = (uint8_t)len;
  return fold(sum16(seg, len, sum16(pseudo, 12, 0)));
}

/* Writes the TCP checksum of the segment of len bytes at tcp (its field at offset 16). */
static inline void set_tcp_checksum(uint8_t *tcp, size_t len, in_addr_t src, in_addr_t dst) {
  uint16_t check = htons(pseudo_checksum(tcp, len, src, dst, IPPROTO_TCP));
  memcpy(tcp + 16, &check, 2);
}

/* Fills a 20-byte IPv4 header: TTL 64, the given protocol, total length, id and fragment field
 * (flags and offset, host order). A raw IPPROTO_RAW socket fills in the header checksum, and an
 * id of 0 too (raw(7)). */
static inline void ipv4_header(uint8_t *packet, in_addr_t src, in_addr_t dst, uint8_t proto,
                               size_t total_len, uint16_t id, uint16_t frag) {
  struct iphdr *ip = (struct iphdr *)packet;
  memset(ip, 0, sizeof *ip);
  ip->version = 4;
  ip->ihl = 5;
  ip->ttl = 64;
  ip->protocol = proto;
  ip->id = htons(id);
  ip->frag_off = htons(frag);
  ip->tot_len = htons((uint16_t)total_len);
  ip->saddr = src;
  ip->daddr = dst;
}

#endif
