/*
 * Shared by the Teardown probes: connection setup, a step signal, and a state watcher.
 *
 * Teardown states outlive the file descriptor: after close() the socket is an orphan the kernel
 * keeps (FIN-WAIT-1/2, TIME-WAIT, LAST-ACK), and TCP_INFO can no longer reach it. So the watcher
 * asks sock_diag (NETLINK_SOCK_DIAG, the interface `ss` itself uses) for the connection by its
 * 4-tuple, every 0.5 ms in a thread, and prints one `state` event per change of state or timer
 * kind, with the kernel's timer. Probes advance their scripted steps on SIGUSR1 from the lab (never on
 * sleeps); SIGUSR1 is blocked from the start, so a signal sent early is kept pending, not lost.
 */
#ifndef TEARDOWN_H
#define TEARDOWN_H

#include "addr.h"
#include "checksum.h"
#include "tcp_info.h"
#include <linux/inet_diag.h>
#include <netinet/ip.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* emit() from several threads: stdout's lock is recursive, so one event stays one line. */
#define EMIT(...)           \
  do {                      \
    flockfile(stdout);      \
    emit(__VA_ARGS__);      \
    funlockfile(stdout);    \
  } while (0)

/* Blocks SIGUSR1 (call first, before any thread starts) so the lab can signal at any time. */
static inline void steps_init(void) {
  go_signal_block(); /* before any thread exists, so every thread inherits the mask */
}

/* Announces the step it waits for, then waits for the lab's SIGUSR1. */
static inline void wait_step(const char *next) {
  EMIT("waiting", "\"for\":\"SIGUSR1\",\"next\":\"%s\"", next);
  go_signal_wait();
}

/* A listener (backlog 16), announced through EMIT: a watcher thread may be printing too. */
static inline int listen_on(const char *usage, const char *addr, int port, int reuse) {
  struct sockaddr_storage ss;
  int fd = tcp_listener(usage, addr, port, 16, reuse, &ss);
  char text[64];
  EMIT("listening", "\"addr\":\"%s\",\"reuseaddr\":%s", format_addr(&ss, text, sizeof text),
       reuse ? "true" : "false");
  return fd;
}

static inline int accept_one(int lfd) {
  int fd;
  while ((fd = accept(lfd, NULL, NULL)) < 0)
    if (errno != EINTR) die("accept");
  return fd;
}

/* Bytes received and not yet read (SIOCINQ). */
static inline int unread_bytes(int fd) {
  int n = 0;
  if (ioctl(fd, FIONREAD, &n) < 0) die("ioctl(FIONREAD)");
  return n;
}

/* One connection by its 4-tuple (IPv4), as sock_diag looks it up. */
struct tuple {
  struct sockaddr_in local, peer;
};

static inline struct tuple tuple_of(int fd) {
  struct tuple t;
  socklen_t l = sizeof t.local, p = sizeof t.peer;
  if (getsockname(fd, (struct sockaddr *)&t.local, &l) < 0) die("getsockname");
  if (getpeername(fd, (struct sockaddr *)&t.peer, &p) < 0) die("getpeername");
  if (t.local.sin_family != AF_INET) {
    errno = EAFNOSUPPORT;
    die("teardown probes watch IPv4 connections only");
  }
  return t;
}

/* What sock_diag says about one connection; `timer` as ss names it. */
struct diag {
  int state;
  const char *timer;
  unsigned expires_ms, retrans, recv_q, send_q;
};

/*
 * Looks the connection up by its exact 4-tuple; 1 if it exists, 0 if the kernel has no socket
 * for it any more. The lookup falls back to a listener on the local port: that is "gone" too.
 */
static inline int diag_lookup(const struct tuple *t, struct diag *out) {
  static __thread int nl = -1; /* one netlink socket per thread: requests never interleave */
  if (nl < 0 && (nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0)
    die("socket(NETLINK_SOCK_DIAG)");
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 r;
  } req;
  memset(&req, 0, sizeof req);
  req.nlh.nlmsg_len = sizeof req;
  req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.nlh.nlmsg_flags = NLM_F_REQUEST;
  req.r.sdiag_family = AF_INET;
  req.r.sdiag_protocol = IPPROTO_TCP;
  req.r.idiag_states = ~0u;
  req.r.id.idiag_sport = t->local.sin_port;
  req.r.id.idiag_dport = t->peer.sin_port;
  req.r.id.idiag_src[0] = t->local.sin_addr.s_addr;
  req.r.id.idiag_dst[0] = t->peer.sin_addr.s_addr;
  req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  if (send(nl, &req, sizeof req, 0) < 0) die("send(sock_diag)");
  long buf[2048];
  ssize_t n = recv(nl, buf, sizeof buf, 0);
  if (n < 0) die("recv(sock_diag)");
  struct nlmsghdr *h = (struct nlmsghdr *)buf;
  if (!NLMSG_OK(h, (unsigned)n)) {
    errno = EBADMSG;
    die("recv(sock_diag)");
  }
  if (h->nlmsg_type == NLMSG_ERROR) {
    int err = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
    if (err == ENOENT) return 0;
    errno = err;
    die("sock_diag lookup");
  }
  struct inet_diag_msg *m = (struct inet_diag_msg *)NLMSG_DATA(h);
  if (m->id.idiag_dport != t->peer.sin_port) return 0;
  static const char *timers[] = {"off", "on", "keepalive", "timewait", "persist"};
  out->state = m->idiag_state;
  out->timer = m->idiag_timer < 5 ? timers[m->idiag_timer] : "?";
  out->expires_ms = m->idiag_timer ? m->idiag_expires : 0;
  out->retrans = m->idiag_retrans;
  out->recv_q = m->idiag_rqueue;
  out->send_q = m->idiag_wqueue;
  return 1;
}

#define GONE 0 /* no TCP state is 0: "the kernel has no socket for this 4-tuple" */

static inline const char *state_or_gone(int s) { return s == GONE ? "GONE" : tcp_state_name(s); }

/* Emits one `event` with the connection's state as sock_diag reports it right now. */
static inline int emit_diag(const char *event, const struct tuple *t, const char *extra) {
  struct diag d;
  if (!diag_lookup(t, &d)) {
    EMIT(event, "\"state\":\"GONE\"%s%s", extra ? "," : "", extra ? extra : "");
    return GONE;
  }
  EMIT(event, "\"state\":\"%s\",\"timer\":\"%s\",\"expiresMs\":%u,\"sendQ\":%u,\"recvQ\":%u%s%s",
       tcp_state_name(d.state), d.timer, d.expires_ms, d.send_q, d.recv_q, extra ? "," : "",
       extra ? extra : "");
  return d.state;
}

/* The watcher: one thread per probe, following one connection until the kernel forgets it. */
static struct {
  struct tuple t;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int seen[16];
  int sampled;
  int follow_retrans; /* also report each change of the retransmission count */
} watch_ = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *watch_loop(void *arg) {
  (void)arg;
  int last = -1;
  unsigned last_retrans = 0;
  const char *last_timer = "";
  for (;;) {
    struct diag d = {.timer = ""};
    int s = diag_lookup(&watch_.t, &d) ? d.state : GONE;
    /* A change of timer kind is news too: a closed socket in FIN-WAIT-2 becomes a timewait
     * socket with the tcp_fin_timeout timer a moment after it enters the state. With
     * follow_retrans, so is each retransmission the kernel counts (sock_diag's idiag_retrans:
     * icsk_retransmits under the retransmission timer). */
    int retrans_news = watch_.follow_retrans && s != GONE && d.retrans != last_retrans;
    if (s != last || strcmp(d.timer, last_timer) != 0 || retrans_news) {
      int lp = ntohs(watch_.t.local.sin_port), rp = ntohs(watch_.t.peer.sin_port);
      if (s == GONE)
        EMIT("state", "\"state\":\"GONE\",\"local\":%d,\"remote\":%d", lp, rp);
      else if (watch_.follow_retrans)
        EMIT("state",
             "\"state\":\"%s\",\"timer\":\"%s\",\"expiresMs\":%u,\"retrans\":%u,\"sendQ\":%u,"
             "\"recvQ\":%u,\"local\":%d,\"remote\":%d",
             tcp_state_name(s), d.timer, d.expires_ms, d.retrans, d.send_q, d.recv_q, lp, rp);
      else
        EMIT("state",
             "\"state\":\"%s\",\"timer\":\"%s\",\"expiresMs\":%u,\"sendQ\":%u,\"recvQ\":%u,"
             "\"local\":%d,\"remote\":%d",
             tcp_state_name(s), d.timer, d.expires_ms, d.send_q, d.recv_q, lp, rp);
      if (s != GONE) last_retrans = d.retrans;
      pthread_mutex_lock(&watch_.mu);
      if (s >= 0 && s < 16) watch_.seen[s] = 1;
      watch_.sampled = 1;
      pthread_cond_broadcast(&watch_.cv);
      pthread_mutex_unlock(&watch_.mu);
      last = s;
      last_timer = d.timer;
    }
    if (s == GONE) return NULL;
    usleep(500);
  }
}

/* Before watch_start(): report every change of the kernel's retransmission count as well. */
static inline void watch_follow_retransmissions(void) { watch_.follow_retrans = 1; }

/* Starts watching the connection of fd (call while fd is still open). */
static inline void watch_start(int fd) {
  watch_.t = tuple_of(fd);
  pthread_t th;
  if (pthread_create(&th, NULL, watch_loop, NULL) != 0) die("pthread_create");
  pthread_detach(th);
  /* Return only once the first state is on record, so nothing the caller does next is missed. */
  pthread_mutex_lock(&watch_.mu);
  while (!watch_.sampled) pthread_cond_wait(&watch_.cv, &watch_.mu);
  pthread_mutex_unlock(&watch_.mu);
}

/* Waits until the watcher has seen `state` (or GONE); 0 on timeout, after emitting `timeout`. */
static inline int watch_until(int state, int timeout_ms) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  int ok = 1;
  pthread_mutex_lock(&watch_.mu);
  while (!watch_.seen[state] && ok)
    ok = pthread_cond_timedwait(&watch_.cv, &watch_.mu, &deadline) == 0 || watch_.seen[state];
  pthread_mutex_unlock(&watch_.mu);
  if (!ok) EMIT("timeout", "\"waitingFor\":\"%s\",\"afterMs\":%d", state_or_gone(state), timeout_ms);
  return ok;
}

/* TCP_REPAIR (CAP_NET_ADMIN) exposes a connection's sequence numbers without changing it: the
 * next byte it will send (write_seq, equal to snd_nxt when nothing is queued unsent) and the
 * next byte it expects (rcv_nxt). Repair mode is left without a window probe. */
static inline void repair_seqs(int fd, uint32_t *snd_nxt, uint32_t *rcv_nxt) {
  int on = 1, off = TCP_REPAIR_OFF_NO_WP;
  if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) < 0) die("setsockopt(TCP_REPAIR)");
  int q = TCP_SEND_QUEUE;
  socklen_t sl = sizeof *snd_nxt;
  if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof q) < 0) die("setsockopt(TCP_REPAIR_QUEUE)");
  if (getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, snd_nxt, &sl) < 0) die("getsockopt(TCP_QUEUE_SEQ)");
  q = TCP_RECV_QUEUE;
  sl = sizeof *rcv_nxt;
  if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof q) < 0) die("setsockopt(TCP_REPAIR_QUEUE)");
  if (getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, rcv_nxt, &sl) < 0) die("getsockopt(TCP_QUEUE_SEQ)");
  if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof off) < 0) die("setsockopt(TCP_REPAIR, OFF_NO_WP)");
}

enum { SEG_FIN = 0x01, SEG_SYN = 0x02, SEG_RST = 0x04, SEG_PSH = 0x08, SEG_ACK = 0x10 };

/* Hand-crafts one IPv4 TCP segment (no options, window 65535, DF) from `from` to `to` and sends
 * it from a raw socket (CAP_NET_RAW): to the peer it looks like any segment of that 4-tuple. */
static inline void send_segment(const struct sockaddr_in *from, const struct sockaddr_in *to, uint32_t seq,
                                uint32_t ack, int flags) {
  uint8_t pkt[40];
  memset(pkt, 0, sizeof pkt);
  uint8_t *t = pkt + 20;
  memcpy(t, &from->sin_port, 2);
  memcpy(t + 2, &to->sin_port, 2);
  uint32_t seq_n = htonl(seq), ack_n = htonl(ack);
  memcpy(t + 4, &seq_n, 4);
  memcpy(t + 8, &ack_n, 4);
  t[12] = 5 << 4; /* data offset: 20 bytes */
  t[13] = (uint8_t)flags;
  t[14] = 0xff;
  t[15] = 0xff;
  set_tcp_checksum(t, 20, from->sin_addr.s_addr, to->sin_addr.s_addr);
  ipv4_header(pkt, from->sin_addr.s_addr, to->sin_addr.s_addr, IPPROTO_TCP, sizeof pkt, 0, IP_DF);
  static int raw = -1;
  if (raw < 0 && (raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) < 0) die("socket(SOCK_RAW)");
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_addr = to->sin_addr};
  if (sendto(raw, pkt, sizeof pkt, 0, (struct sockaddr *)&dst, sizeof dst) < 0) die("sendto(raw)");
}

#endif
