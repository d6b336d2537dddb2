/**
 * Search that finds what debuggers type. netstat writes TIME_WAIT, ss and RFC 9293 TIME-WAIT,
 * people "time wait"; a program prints "Address already in use" where a chapter says EADDRINUSE.
 * This Markdown plugin wraps each TCP state and errno name in prose in a span whose
 * `data-search` attribute holds its other spellings, and Pagefind indexes that attribute in
 * place (`data-pagefind-index-attrs`), so any spelling lands on the section that uses the name.
 * Nothing visible changes.
 */
import { defineMdastPlugin } from 'satteri';

const STATES = [
  'ESTABLISHED',
  'SYN-SENT',
  'SYN-RECEIVED',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
  'LISTEN',
];

/** errno names and the text strerror() gives them (glibc), as error messages show them. */
export const ERRNO_TEXT: Record<string, string> = {
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  ECONNABORTED: 'Software caused connection abort',
  EPIPE: 'Broken pipe',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  EAGAIN: 'Resource temporarily unavailable',
  EWOULDBLOCK: 'Resource temporarily unavailable',
  EINPROGRESS: 'Operation now in progress',
  EALREADY: 'Operation already in progress',
  EINTR: 'Interrupted system call',
  EMSGSIZE: 'Message too long',
  ENOTCONN: 'Transport endpoint is not connected',
  EISCONN: 'Transport endpoint is already connected',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ENOBUFS: 'No buffer space available',
};

const STATE = new RegExp(`\\b(${STATES.map((s) => s.replace(/-/g, '[-_ ]')).join('|')})\\b`, 'g');
const ERRNO = new RegExp(`\\b(${Object.keys(ERRNO_TEXT).join('|')})\\b`, 'g');

/** The other spellings of a state or errno name, or undefined when it is neither. */
export function aliasesOf(word: string): string | undefined {
  const upper = word.toUpperCase();
  if (ERRNO_TEXT[upper]) return `${upper} ${ERRNO_TEXT[upper]}`;
  const canonical = upper.replace(/[_ ]/g, '-');
  if (!STATES.includes(canonical)) return undefined;
  return [canonical, canonical.replace(/-/g, '_'), canonical.replace(/-/g, ' ').toLowerCase()].join(
    ' ',
  );
}

type Span = {
  type: 'searchAlias';
  data: { hName: 'span'; hProperties: Record<string, string> };
  children: Array<{ type: 'text' | 'inlineCode'; value: string }>;
};
type Part = { type: 'text'; value: string } | Span;

const span = (child: { type: 'text' | 'inlineCode'; value: string }, aliases: string): Span => ({
  type: 'searchAlias',
  data: {
    hName: 'span',
    hProperties: { 'data-search': aliases, 'data-pagefind-index-attrs': 'data-search' },
  },
  children: [child],
});

/** A text split around state and errno names, each name wrapped; undefined when it has none. */
export function withAliases(value: string): Part[] | undefined {
  const hits = [...value.matchAll(STATE), ...value.matchAll(ERRNO)].sort(
    (a, b) => a.index - b.index,
  );
  if (hits.length === 0) return undefined;
  const out: Part[] = [];
  let at = 0;
  for (const m of hits) {
    if (m.index < at) continue;
    if (m.index > at) out.push({ type: 'text', value: value.slice(at, m.index) });
    out.push(span({ type: 'text', value: m[0] }, aliasesOf(m[0])!));
    at = m.index + m[0].length;
  }
  if (at < value.length) out.push({ type: 'text', value: value.slice(at) });
  return out;
}

const SKIP = new Set([
  'heading',
  'code',
  'link',
  'mdxJsxFlowElement',
  'mdxJsxTextElement',
  'html',
  'searchAlias',
]);
interface Ctx {
  parent(node: unknown): { type: string } | undefined;
  replaceNode(node: unknown, replacement: unknown): void;
}
const skipped = (ctx: Ctx, node: unknown) => {
  for (let p = ctx.parent(node); p; p = ctx.parent(p)) if (SKIP.has(p.type)) return true;
  return false;
};

/** The Sätteri mdast plugin. */
export const searchAliases = defineMdastPlugin({
  name: 'search-aliases',
  text(node, ctx) {
    const parts = withAliases(node.value);
    if (parts && !skipped(ctx as unknown as Ctx, node)) ctx.replaceNode(node, parts as never);
  },
  inlineCode(node, ctx) {
    const aliases = aliasesOf(node.value);
    if (aliases && !skipped(ctx as unknown as Ctx, node))
      ctx.replaceNode(node, span({ type: 'inlineCode', value: node.value }, aliases) as never);
  },
});
