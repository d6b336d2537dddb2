/*
 * Thundering herd: WORKERS processes wait for connections on one port; CONNS clients connect one
 * at a time; for each connection we count how many workers the kernel woke, from the voluntary
 * context switches in /proc/<pid>/status (a woken worker runs, finds nothing or accepts, and
 * sleeps again: one switch each), plus how often epoll_wait() actually returned to user space.
 *   accept            every worker blocks in accept() on the shared listener
 *   epoll             every worker has its own epoll instance watching the shared listener
 *   epoll-exclusive   the same with EPOLLEXCLUSIVE (Linux 4.5+)
 *   reuseport         every worker has its own SO_REUSEPORT listener on the same port
 * Between connections the harness waits until the connection was accepted and every worker is
 * asleep again (state S in /proc/<pid>/stat), so wakeups of two connections never merge.
 *
 * usage: herd PORT WORKERS CONNS          (variants use PORT .. PORT+3)
 * events: herd {variant, perConn[], returns, eagain, acceptedBy[]}; done
 */
#include "epoll-util.h"
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

static const char *USAGE = "herd PORT WORKERS CONNS";
#define MAX_WORKERS 16
#define MAX_CONNS 64

struct shared {
  atomic_int accepted;
  atomic_int returns[MAX_WORKERS];
  atomic_int eagain[MAX_WORKERS];
  atomic_int acc[MAX_WORKERS];
};

static struct shared *sh;

static void worker(int i, const char *variant, int lfd) {
  if (strcmp(variant, "accept") == 0) {
    for (;;) {
      int c = accept(lfd, NULL, NULL);
      if (c < 0) {
        if (errno == EINTR) continue;
        die("accept");
      }
      atomic_fetch_add(&sh->acc[i], 1);
      atomic_fetch_add(&sh->accepted, 1);
      close(c);
    }
  }
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN | (strcmp(variant, "epoll-exclusive") == 0 ? EPOLLEXCLUSIVE : 0),
                           .data.fd = lfd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) die("epoll_ctl(ADD)");
  for (;;) {
    struct epoll_event out[4];
    int n = epoll_wait(ep, out, 4, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    atomic_fetch_add(&sh->returns[i], 1);
    for (;;) {
      int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
      if (c < 0) {
        if (errno == EAGAIN) {
          atomic_fetch_add(&sh->eagain[i], 1);
          break;
        }
        if (errno == EINTR) continue;
        die("accept4");
      }
      atomic_fetch_add(&sh->acc[i], 1);
      atomic_fetch_add(&sh->accepted, 1);
      close(c);
    }
  }
}

/* Process state letter from /proc/<pid>/stat ('S' sleeping, 'R' running). */
static char proc_state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) die("fopen(/proc/pid/stat)");
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : '?';
}

static long voluntary_switches(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) die("fopen(/proc/pid/status)");
  long v = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1) break;
  fclose(f);
  return v;
}

static void all_asleep(pid_t *pids, int n) {
  for (int tries = 0; tries < 3000; tries++) {
    int asleep = 0;
    for (int i = 0; i < n; i++) asleep += proc_state(pids[i]) == 'S';
    if (asleep == n) return;
    usleep(1000);
  }
  errno = ETIMEDOUT;
  die("wait for every worker to sleep");
}

static void run(const char *variant, int port, int workers, int conns) {
  memset(sh, 0, sizeof *sh);
  int reuseport = strcmp(variant, "reuseport") == 0;
  int lfds[MAX_WORKERS];
  for (int i = 0; i < (reuseport ? workers : 1); i++) {
    lfds[i] = listen_loopback(port, 64, reuseport);
    if (strcmp(variant, "accept") != 0) set_nonblock(lfds[i], 1);
  }
  pid_t pids[MAX_WORKERS];
  for (int i = 0; i < workers; i++) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) worker(i, variant, lfds[reuseport ? i : 0]);
    pids[i] = pid;
  }
  all_asleep(pids, workers);

  long before[MAX_WORKERS];
  for (int i = 0; i < workers; i++) before[i] = voluntary_switches(pids[i]);
  char per_conn[512];
  size_t used = (size_t)snprintf(per_conn, sizeof per_conn, "[");
  int clients[MAX_CONNS];
  for (int c = 0; c < conns; c++) {
    clients[c] = connect_loopback(port);
    for (int tries = 0; atomic_load(&sh->accepted) < c + 1; tries++) {
      if (tries > 3000) {
        errno = ETIMEDOUT;
        die("wait for the accept");
      }
      usleep(1000);
    }
    all_asleep(pids, workers);
    long woken = 0;
    for (int i = 0; i < workers; i++) {
      long now = voluntary_switches(pids[i]);
      woken += now - before[i];
      before[i] = now;
    }
    used += (size_t)snprintf(per_conn + used, sizeof per_conn - used, "%s%ld", c ? "," : "", woken);
  }
  snprintf(per_conn + used, sizeof per_conn - used, "]");

  char by[256];
  used = (size_t)snprintf(by, sizeof by, "[");
  int returns = 0, eagain = 0;
  for (int i = 0; i < workers; i++) {
    returns += atomic_load(&sh->returns[i]);
    eagain += atomic_load(&sh->eagain[i]);
    used += (size_t)snprintf(by + used, sizeof by - used, "%s%d", i ? "," : "", atomic_load(&sh->acc[i]));
  }
  snprintf(by + used, sizeof by - used, "]");
  emit("herd", "\"variant\":\"%s\",\"workers\":%d,\"conns\":%d,\"perConn\":%s,\"returns\":%d,\"eagain\":%d,\"acceptedBy\":%s",
       variant, workers, conns, per_conn, returns, eagain, by);
  for (int i = 0; i < workers; i++) {
    kill(pids[i], SIGKILL);
    waitpid(pids[i], NULL, 0);
  }
  for (int c = 0; c < conns; c++) close(clients[c]);
  for (int i = 0; i < (reuseport ? workers : 1); i++) close(lfds[i]);
}

int main(int argc, char **argv) {
  if (argc != 4) usage_error(USAGE, "wrong number of arguments");
  int port = arg_port(USAGE, "PORT", argv[1]);
  int workers = (int)arg_int(USAGE, "WORKERS", argv[2], 1, MAX_WORKERS);
  int conns = (int)arg_int(USAGE, "CONNS", argv[3], 1, MAX_CONNS);
  sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) die("mmap");
  const char *variants[] = {"accept", "epoll", "epoll-exclusive", "reuseport"};
  for (int v = 0; v < 4; v++) run(variants[v], port + v, workers, conns);
  emit("done", NULL);
  return 0;
}
