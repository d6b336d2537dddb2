/*
 * Data versus peer close: what epoll reports on a connected socket (registered EPOLLIN |
 * EPOLLRDHUP, level-triggered, O_NONBLOCK; and in a second epoll instance with EPOLLOUT as well)
 * when the peer sends data, closes, sends data and then closes, or aborts with RST; and what each
 * way of telling them apart costs and says:
 * the event mask itself (no syscall), recv() until 0 or EAGAIN, and TCP_INFO's tcpi_state.
 *
 * usage: peer-close PORT TIMEOUT_MS
 * events: case {scenario, events[], eventsWithOut[], state, pendingBytes, recvs[], recvCalls, bytes,
 *         halfCloseSendBack}; cost {tcpInfoNs, recvEagainNs, rounds}; done
 */
#include "epoll-util.h"
#include <sys/ioctl.h>

static const char *USAGE = "peer-close PORT TIMEOUT_MS";

static void scenario(const char *name, int lfd, int port, int timeout) {
  int peer;
  int s = accept_pair(lfd, port, &peer);
  set_nonblock(s, 1);
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = s};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0) die("epoll_ctl(ADD)");
  /* A second instance watching the same socket for writability as well, as a server that
   * writes replies does: what EPOLLOUT adds in each case. */
  int ep_out = epoll_create1(0);
  if (ep_out < 0) die("epoll_create1");
  struct epoll_event ev_out = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.fd = s};
  if (epoll_ctl(ep_out, EPOLL_CTL_ADD, s, &ev_out) < 0) die("epoll_ctl(ADD, EPOLLOUT)");

  int sends_data = strcmp(name, "data") == 0 || strcmp(name, "data-then-fin") == 0;
  if (sends_data && write(peer, "hello", 5) != 5) die("write");
  if (strcmp(name, "fin") == 0 || strcmp(name, "data-then-fin") == 0) {
    if (shutdown(peer, SHUT_WR) < 0) die("shutdown");
    /* Harness: the peer is in FIN-WAIT-2 once our ACK of its FIN arrived, so the FIN was processed. */
    if (!wait_state(peer, TCP_FIN_WAIT2, 1000)) die("wait for FIN-WAIT-2");
  } else if (strcmp(name, "rst") == 0) {
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    if (setsockopt(peer, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0) die("setsockopt(SO_LINGER)");
    close(peer);
    peer = -1;
    if (!wait_state(s, TCP_CLOSE, 1000)) die("wait for CLOSE");
  }

  struct epoll_event out[2];
  int n = epoll_wait(ep, out, 2, timeout);
  if (n < 0) die("epoll_wait");
  char mask[160], mask_out[160];
  mask_json(n > 0 ? out[0].events : 0, mask, sizeof mask);
  int n_out = epoll_wait(ep_out, out, 2, timeout);
  if (n_out < 0) die("epoll_wait");
  mask_json(n_out > 0 ? out[0].events : 0, mask_out, sizeof mask_out);
  int state = tcp_state(s);
  int queued = 0;
  if (ioctl(s, FIONREAD, &queued) < 0) queued = -1;

  /* recv() until it says 0 (end of stream), EAGAIN (nothing more now) or an error. */
  char recvs[160], buf[256];
  size_t used = (size_t)snprintf(recvs, sizeof recvs, "[");
  int calls = 0, bytes = 0;
  for (;;) {
    ssize_t r = recv(s, buf, sizeof buf, 0);
    calls++;
    if (r > 0) {
      bytes += (int)r;
      used += (size_t)snprintf(recvs + used, sizeof recvs - used, "%s%zd", calls > 1 ? "," : "", r);
      continue;
    }
    used += (size_t)snprintf(recvs + used, sizeof recvs - used, "%s%s%s%s", calls > 1 ? "," : "",
                             r == 0 ? "0" : "\"", r == 0 ? "" : errno_name(errno), r == 0 ? "" : "\"");
    break;
  }
  snprintf(recvs + used, sizeof recvs - used, "]");

  /* Half-close: after the peer's FIN we may still send to it. */
  int sent_back = -2;
  if (strcmp(name, "fin") == 0) {
    sent_back = (int)send(s, "bye", 3, MSG_NOSIGNAL);
    char back[8];
    /* The peer only shut down its sending side: it still receives (blocking read). */
    if (sent_back == 3) sent_back = (int)recv(peer, back, sizeof back, 0);
  }

  emit("case",
       "\"scenario\":\"%s\",\"n\":%d,\"events\":%s,\"eventsWithOut\":%s,\"state\":\"%s\",\"pendingBytes\":%d,"
       "\"recvs\":%s,\"recvCalls\":%d,\"bytes\":%d,\"halfCloseSendBack\":%d",
       name, n, mask, mask_out, tcp_state_name(state), queued, recvs, calls, bytes, sent_back);
  close(ep_out);
  close(ep);
  close(s);
  if (peer >= 0) close(peer);
}

int main(int argc, char **argv) {
  if (argc != 3) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[1]);
  int timeout = (int)arg_int(USAGE, "TIMEOUT_MS", argv[2], 1, 10000);
  int lfd = listen_loopback(port, 8, 0);
  const char *names[] = {"data", "fin", "data-then-fin", "rst"};
  for (int i = 0; i < 4; i++) scenario(names[i], lfd, port, timeout);

  /* What each test costs: one getsockopt(TCP_INFO) versus one recv() that finds nothing. */
  int peer;
  int s = accept_pair(lfd, port, &peer);
  set_nonblock(s, 1);
  enum { ROUNDS = 20000 };
  char buf[16];
  double t0 = now_s();
  for (int i = 0; i < ROUNDS; i++) (void)tcp_state(s);
  double info_ns = (now_s() - t0) * 1e9 / ROUNDS;
  t0 = now_s();
  for (int i = 0; i < ROUNDS; i++)
    if (recv(s, buf, sizeof buf, 0) >= 0) die("recv on an idle socket");
  double recv_ns = (now_s() - t0) * 1e9 / ROUNDS;
  emit("cost", "\"tcpInfoNs\":%.0f,\"recvEagainNs\":%.0f,\"rounds\":%d", info_ns, recv_ns, ROUNDS);
  emit("done", NULL);
  return 0;
}
