/**
 * The sysctls every lab host starts from, pinned so a result never depends on the reader's host.
 *
 * A new network namespace starts at kernel defaults except for these, which Linux copies from the
 * host's namespace (tcp_rmem/tcp_wmem since they live in init_net-derived defaults, congestion
 * control since the namespace inherits the host's choice). We set them back to the kernel
 * defaults. Labs add their own settings on top, per host; every value is read back and recorded.
 */
export const BASELINE_SYSCTLS: Record<string, string> = {
  // Kernel defaults (Documentation/networking/ip-sysctl.rst). tcp_rmem's max decides the window
  // scale a SYN advertises, so it must not follow the host's tuning.
  'net.ipv4.tcp_rmem': '4096 131072 6291456',
  'net.ipv4.tcp_wmem': '4096 16384 4194304',
  // An unprivileged user namespace may only pick an algorithm the host allows: recorded if refused.
  'net.ipv4.tcp_congestion_control': 'cubic',
};
