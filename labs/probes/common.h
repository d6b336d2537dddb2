/*
 * Shared helpers for the C probes. Probes are small programs that do what Node's socket API
 * cannot (socket options, TCP_INFO, raw sockets, exact errno). Each prints one JSON object per
 * line on stdout, `{"event": "...", ...}`, which the lab reads as its observations.
 *
 * Conventions:
 *  - die("call") prints {"event":"fatal","call":"...","errno":"EXXX"} and exits 70, so a setup
 *    failure names the failing call and is never mistaken for an observed behaviour.
 *  - emit() flushes every line: the lab waits on these lines (READY etc.), never on sleeps.
 *  - Arguments are validated with arg_int()/arg_port(); a bad one exits 64 with a message.
 */
#ifndef PROBE_COMMON_H
#define PROBE_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXIT_USAGE 64
#define EXIT_SETUP 70

/* errno as its symbolic name ("ECONNREFUSED"): stable across libcs, unlike strerror text. */
static inline const char *errno_name(int e) {
  const char *n = strerrorname_np(e);
  return n ? n : "E?";
}

/* Seconds on the monotonic clock, for timings reported by probes. */
static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints one JSON event line: emit("connect", "\"errno\":\"%s\"", name). fields may be NULL. */
static inline void emit(const char *event, const char *fields_fmt, ...) {
  printf("{\"event\":\"%s\",\"mono\":%.6f", event, now_s());
  if (fields_fmt && *fields_fmt) {
    va_list ap;
    va_start(ap, fields_fmt);
    putchar(',');
    vprintf(fields_fmt, ap);
    va_end(ap);
  }
  puts("}");
  fflush(stdout);
}

/* Setup failed: name the call and the errno, exit with EXIT_SETUP. */
static inline void die(const char *call) {
  int e = errno;
  printf("{\"event\":\"fatal\",\"call\":\"%s\",\"errno\":\"%s\",\"message\":\"%s\"}\n", call,
         errno_name(e), strerror(e));
  fflush(stdout);
  fprintf(stderr, "probe: %s: %s\n", call, strerror(e));
  exit(EXIT_SETUP);
}

static inline void usage_error(const char *usage, const char *what) {
  fprintf(stderr, "probe: %s\nusage: %s\n", what, usage);
  exit(EXIT_USAGE);
}

/* Parses a decimal integer in [min, max] or exits with a usage error naming the argument. */
static inline long arg_int(const char *usage, const char *name, const char *s, long min, long max) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || !end || *end || end == s || v < min || v > max) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s must be an integer in [%ld, %ld], got '%s'", name, min, max, s);
    usage_error(usage, msg);
  }
  return v;
}

static inline int arg_port(const char *usage, const char *name, const char *s) {
  return (int)arg_int(usage, name, s, 1, 65535);
}

/* The TCP states of include/net/tcp_states.h, by the names `ss` prints. */
static inline const char *tcp_state_name(int s) {
  static const char *names[] = {"UNKNOWN",  "ESTAB",      "SYN-SENT", "SYN-RECV",
                                "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "UNCONN",
                                "CLOSE-WAIT", "LAST-ACK",   "LISTEN",   "CLOSING",
                                "NEW-SYN-RECV"};
  return (s >= 0 && s < (int)(sizeof names / sizeof names[0])) ? names[s] : "UNKNOWN";
}

/*
 * The lab moves a probe to its next step with SIGUSR1 (Probe.signal() in context.ts). Block it
 * first, before the probe announces it is ready, so a signal sent right after the announcement
 * stays pending instead of killing the probe; then go_signal_wait() takes it.
 */
static inline void go_signal_block(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) die("sigprocmask");
}

/* Waits for the lab's SIGUSR1 (blocked earlier by go_signal_block()). */
static inline void go_signal_wait(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  int sig;
  if (sigwait(&set, &sig) != 0) die("sigwait");
}

/* One role of a multi-role probe: `probe ROLE args...` runs roles[i].run(argc, argv). */
struct probe_role {
  const char *name;
  int (*run)(int argc, char **argv);
};

/* Runs the role named by argv[1], or exits with a usage error listing the roles. */
static inline int run_role(int argc, char **argv, const char *usage, const struct probe_role *roles, size_t n) {
  if (argc < 2) usage_error(usage, "missing role");
  for (size_t i = 0; i < n; i++)
    if (strcmp(argv[1], roles[i].name) == 0) return roles[i].run(argc, argv);
  usage_error(usage, "unknown role");
  return EXIT_USAGE;
}

#endif
