/*
 * The Internet checksum (RFC 1071) for probes that build IP, UDP or TCP headers by hand: add the
 * 16-bit big-endian words of every part with sum16(), then fold() the total into the field.
 */
#ifndef PROBE_CHECKSUM_H
#define PROBE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

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

#endif
