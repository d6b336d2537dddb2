/*
 * TCP_INFO as JSON fields, the kernel's own view of one connection (tcp(7), struct tcp_info in
 * include/uapi/linux/tcp.h). Used by probes to report state and negotiated options exactly,
 * without parsing `ss`.
 */
#ifndef PROBE_TCP_INFO_H
#define PROBE_TCP_INFO_H

#include "common.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

/* Writes the fields of TCP_INFO that labs use into buf; returns buf ("" if the call fails). */
static inline const char *tcp_info_json(int fd, char *buf, size_t len) {
  struct tcp_info ti;
  socklen_t sl = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) {
    snprintf(buf, len, "\"tcpInfoErrno\":\"%s\"", errno_name(errno));
    return buf;
  }
  snprintf(buf, len,
           "\"state\":\"%s\",\"sndMss\":%u,\"rcvMss\":%u,\"advmss\":%u,\"pmtu\":%u,"
           "\"optTimestamps\":%s,\"optSack\":%s,\"optWscale\":%s,\"sndWscale\":%u,\"rcvWscale\":%u,"
           "\"rtoUs\":%u,\"retransmits\":%u,\"totalRetrans\":%u,\"unacked\":%u,\"rttUs\":%u",
           tcp_state_name(ti.tcpi_state), ti.tcpi_snd_mss, ti.tcpi_rcv_mss, ti.tcpi_advmss,
           ti.tcpi_pmtu, (ti.tcpi_options & TCPI_OPT_TIMESTAMPS) ? "true" : "false",
           (ti.tcpi_options & TCPI_OPT_SACK) ? "true" : "false",
           (ti.tcpi_options & TCPI_OPT_WSCALE) ? "true" : "false", ti.tcpi_snd_wscale,
           ti.tcpi_rcv_wscale, ti.tcpi_rto, ti.tcpi_retransmits, ti.tcpi_total_retrans,
           ti.tcpi_unacked, ti.tcpi_rtt);
  return buf;
}

/* TCP_INFO state of an open socket (TCP_ESTABLISHED, TCP_CLOSE_WAIT, ... as in tcp_states.h). */
static inline int tcp_state(int fd) {
  struct tcp_info ti;
  socklen_t sl = sizeof ti;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl) < 0) die("getsockopt(TCP_INFO)");
  return ti.tcpi_state;
}

/* Polls TCP_INFO every 0.5 ms until the socket is in `state`; 0 if the deadline passes first. */
static inline int wait_tcp_state(int fd, int state, int timeout_ms) {
  double deadline = now_s() + timeout_ms / 1000.0;
  while (tcp_state(fd) != state) {
    if (now_s() > deadline) return 0;
    usleep(500);
  }
  return 1;
}

#endif
