import { markdownToHtml } from 'satteri';
import { describe, expect, it } from 'vitest';
import { linkedCode, linkedText, references, sourceLinks } from '../../src/lib/source-links.ts';

const html = (md: string) => markdownToHtml(md, { mdastPlugins: [sourceLinks] }).html;

describe('references', () => {
  it.each([
    ['RFC 9293 §3.5', 'https://www.rfc-editor.org/rfc/rfc9293.html#section-3.5'],
    ['RFC 5961 section 3.2', 'https://www.rfc-editor.org/rfc/rfc5961.html#section-3.2'],
    ['RFC 1122', 'https://www.rfc-editor.org/rfc/rfc1122.html'],
    ['tcp(7)', 'https://man7.org/linux/man-pages/man7/tcp.7.html'],
    ['epoll_ctl(2)', 'https://man7.org/linux/man-pages/man2/epoll_ctl.2.html'],
    ['zmq_socket_monitor(3)', 'http://api.zeromq.org/4-3:zmq-socket-monitor'],
    [
      'net/ipv4/tcp_timer.c',
      'https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git/tree/net/ipv4/tcp_timer.c?h=v6.12',
    ],
  ])('links "%s" to %s', (text, href) => {
    expect(references(`see ${text}.`).map((r) => r.href)).toEqual([href]);
  });

  it('finds nothing in ordinary prose, function calls without a section included', () => {
    expect(references('close() then read() returns 0 after 3 s (2 × 1.5).')).toEqual([]);
  });
});

describe('the Markdown plugin', () => {
  it('links references in text and leaves the rest of the sentence as it was', () => {
    expect(linkedText('See tcp(7) and RFC 793.')!.map((p) => p.type)).toEqual([
      'text',
      'link',
      'text',
      'link',
      'text',
    ]);
    expect(html('See tcp(7), then RFC 9293 §3.6.')).toBe(
      '<p>See <a href="https://man7.org/linux/man-pages/man7/tcp.7.html">tcp(7)</a>, then <a href="https://www.rfc-editor.org/rfc/rfc9293.html#section-3.6">RFC 9293 §3.6</a>.</p>\n',
    );
  });

  it('links inline code that is exactly a reference, and no other', () => {
    expect(linkedCode('tcp(7)')).toMatchObject({ type: 'link' });
    expect(linkedCode('man tcp(7) | less')).toBeUndefined();
  });

  it('leaves existing links, headings and code blocks alone', () => {
    expect(html('[tcp(7)](https://example.org)')).not.toContain('man7.org');
    expect(html('## What tcp(7) says')).not.toContain('<a ');
    expect(html('```\ntcp(7)\n```')).not.toContain('<a ');
  });
});
