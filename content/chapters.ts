/**
 * The book's reading order, declared once: the sidebar (src/chapters.ts), the home page's chapter
 * list and the lab registry (labs/index.ts) all read it. A chapter is its folder here in
 * `content/` and, when it has labs, its folder in `labs/`; its labs are the files found there.
 */

/** One chapter: its folder under `content/` (and `labs/`) and the label the sidebar shows. */
export interface Chapter {
  slug: string;
  label: string;
}

/** Every chapter, in reading order, whether or not it is written yet. */
export const chapters: Chapter[] = [
  { slug: 'handshakes', label: 'Handshakes' },
  { slug: 'teardown', label: 'Teardown' },
  { slug: 'segments', label: 'Segments' },
  { slug: 'mtu-mss', label: 'MTU and MSS' },
  { slug: 'fragmentation', label: 'Fragmentation' },
  { slug: 'epoll', label: 'epoll' },
  { slug: 'socket-options', label: 'Socket options' },
  { slug: 'udp', label: 'UDP' },
  { slug: 'flow-control', label: 'Flow control' },
  { slug: 'ports', label: 'Ports' },
  { slug: 'reachability', label: 'Reachability' },
  { slug: 'zeromq', label: 'ZeroMQ' },
  { slug: 'multicast', label: 'Multicast' },
  { slug: 'observability', label: 'Observability' },
];
