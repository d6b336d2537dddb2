/**
 * The sysctls every lab host starts from, pinned so a result never depends on the reader's host,
 * and the ones that are only recorded because a lab namespace cannot pin them.
 *
 * A new network namespace starts at kernel defaults except for a few values that Linux copies
 * from the host's namespace when the namespace is created (`tcp_sk_init()` in
 * net/ipv4/tcp_ipv4.c): tcp_rmem and tcp_wmem (the host's current values, not the compiled
 * defaults) and the default congestion control. Labs add their own settings on top, per host;
 * every value is read back and recorded.
 */
export const BASELINE_SYSCTLS: Record<string, string> = {
  // tcp_rmem's max decides the window scale a SYN advertises, so it must not follow the host's
  // tuning. The compiled default depends on the release (tcp_init(), capped lower on machines
  // with little memory): max 6 MiB (6291456, wscale 7) up to 6.15, 32 MiB (33554432, wscale 10)
  // since 6.16 ("tcp: increase tcp_rmem[2] to 32 MB", 572be9bf9d0d). The labs pin the 6 MiB of
  // 6.1 to 6.15 on every kernel, so a SYN says wscale 7 everywhere and recordings compare.
  'net.ipv4.tcp_rmem': '4096 131072 6291456',
  // The compiled default on 6.1 to 6.18 alike (max 4 MiB).
  'net.ipv4.tcp_wmem': '4096 16384 4194304',
};

/**
 * Recorded in every host, never pinned. A network namespace other than the initial one may not
 * make an algorithm its default unless the host lists it in tcp_allowed_congestion_control (a
 * global list, read-only inside namespaces), whatever the privilege:
 * `tcp_set_default_congestion_control()` returns EPERM (net/ipv4/tcp_cong.c). So a new namespace
 * keeps the host's default, and the run records which one that was. A lab whose numbers depend
 * on the algorithm sets it per socket (TCP_CONGESTION, allowed to root of the namespace's user
 * namespace) or reports the algorithm its sockets used.
 */
export const RECORDED_SYSCTLS: string[] = ['net.ipv4.tcp_congestion_control'];
