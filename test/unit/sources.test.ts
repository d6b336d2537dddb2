import { describe, expect, it } from 'vitest';
import { sourceLink } from '../../src/lib/sources.ts';

describe('sourceLink', () => {
  it.each([
    [
      { kernel: 'net/ipv4/tcp_timer.c', tag: 'v6.12' },
      'https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git/tree/net/ipv4/tcp_timer.c?h=v6.12',
      'net/ipv4/tcp_timer.c (Linux 6.12)',
    ],
    [
      { kernel: 'Documentation/networking/ip-sysctl.rst', tag: 'v6.1', line: 10 },
      'https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git/tree/Documentation/networking/ip-sysctl.rst?h=v6.1#L10',
      'Documentation/networking/ip-sysctl.rst (Linux 6.1)',
    ],
    [
      { rfc: 5961, section: '3.2' },
      'https://www.rfc-editor.org/rfc/rfc5961.html#section-3.2',
      'RFC 5961 §3.2',
    ],
    [{ rfc: 9293 }, 'https://www.rfc-editor.org/rfc/rfc9293.html', 'RFC 9293'],
    [{ man: 'tcp.7' }, 'https://man7.org/linux/man-pages/man7/tcp.7.html', 'tcp(7)'],
    [
      { man: 'epoll_ctl.2' },
      'https://man7.org/linux/man-pages/man2/epoll_ctl.2.html',
      'epoll_ctl(2)',
    ],
  ])('links %j', (ref, href, text) => {
    expect(sourceLink(ref)).toEqual({ href, text });
  });

  it.each([
    [{ kernel: 'tcp_timer', tag: 'v6.12' }, /not a kernel source path/],
    [{ kernel: 'net/ipv4/tcp.c', tag: 'master' }, /release tag/],
    [{ rfc: 0 }, /RFC number/],
    [{ rfc: 793, section: 'three' }, /section/],
    [{ man: 'tcp' }, /with its section/],
  ])('refuses %j', (ref, message) => {
    expect(() => sourceLink(ref as never)).toThrow(message);
  });
});
