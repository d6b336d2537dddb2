/**
 * A Markdown plugin (Sätteri, Astro's processor) that turns the sources chapters cite in plain text into links a reader can
 * follow: "RFC 9293 §3.5" (the RFC Editor's HTML, at the section), man pages written `tcp(7)`
 * (man7.org; libzmq's `zmq_*(3)` pages at api.zeromq.org), and kernel source paths such as
 * `net/ipv4/tcp_timer.c` (the stable tree at the release tag KERNEL_TAG). Text that is already a
 * link, a heading or a code block is left alone; inline code is linked when it is exactly such a
 * reference. The URL forms are those of src/lib/sources.ts, so every link out has a known shape.
 */
import { defineMdastPlugin } from 'satteri';
import { sourceLink } from './sources.ts';

/** The kernel release whose source a bare path links to: the LTS the kernel matrix runs. */
export const KERNEL_TAG = 'v6.12';

const RFC = /\bRFC ?(\d{3,4})(?:,? ?(?:§ ?|[Ss]ection )(\d+(?:\.\d+)*))?/g;
const MAN = /\b([a-z_][a-z0-9_]*)\(([1-8])\)/g;
const KERNEL_PATH =
  /\b((?:net|include|kernel|Documentation)\/[\w-]+(?:\/[\w.-]+)*\.(?:c|h|rst))\b/g;

/** The link for one man page reference. */
function manHref(name: string, section: string): string {
  if (name.startsWith('zmq_')) return `http://api.zeromq.org/4-3:${name.replaceAll('_', '-')}`;
  return sourceLink({ man: `${name}.${section}` }).href;
}

/** Every reference in `text`, in order, with its link. */
export function references(text: string): Array<{ index: number; length: number; href: string }> {
  const found: Array<{ index: number; length: number; href: string }> = [];
  for (const m of text.matchAll(RFC)) {
    found.push({
      index: m.index,
      length: m[0].length,
      href: sourceLink({ rfc: Number(m[1]), ...(m[2] ? { section: m[2] } : {}) }).href,
    });
  }
  for (const m of text.matchAll(MAN)) {
    found.push({ index: m.index, length: m[0].length, href: manHref(m[1]!, m[2]!) });
  }
  for (const m of text.matchAll(KERNEL_PATH)) {
    found.push({
      index: m.index,
      length: m[0].length,
      href: sourceLink({ kernel: m[1]!, tag: KERNEL_TAG }).href,
    });
  }
  // Overlaps (none expected) keep the earliest reference.
  found.sort((a, b) => a.index - b.index);
  return found.filter((r, i) => i === 0 || r.index >= found[i - 1]!.index + found[i - 1]!.length);
}

/** Node types whose text is not linked: already a link, a heading, code, a component. */
const SKIP = new Set([
  'link',
  'linkReference',
  'heading',
  'code',
  'mdxJsxFlowElement',
  'mdxJsxTextElement',
  'definition',
  'html',
]);

interface TextNode {
  type: 'text' | 'inlineCode';
  value: string;
}
type Content =
  { type: 'text'; value: string } | { type: 'link'; url: string; children: Array<TextNode> };

/** A text node split around its references, or undefined when it has none. */
export function linkedText(value: string): Content[] | undefined {
  const refs = references(value);
  if (refs.length === 0) return undefined;
  const out: Content[] = [];
  let at = 0;
  for (const r of refs) {
    if (r.index > at) out.push({ type: 'text', value: value.slice(at, r.index) });
    out.push({
      type: 'link',
      url: r.href,
      children: [{ type: 'text', value: value.slice(r.index, r.index + r.length) }],
    });
    at = r.index + r.length;
  }
  if (at < value.length) out.push({ type: 'text', value: value.slice(at) });
  return out;
}

/** The link an inline code span becomes when it is exactly one reference (`tcp(7)`). */
export function linkedCode(value: string): Content | undefined {
  const [ref] = references(value);
  return ref && ref.index === 0 && ref.length === value.length
    ? { type: 'link', url: ref.href, children: [{ type: 'inlineCode', value }] }
    : undefined;
}

interface Ctx {
  parent(node: unknown): { type: string } | undefined;
  replaceNode(node: unknown, replacement: unknown): void;
}

function skipped(ctx: Ctx, node: unknown): boolean {
  for (let p = ctx.parent(node); p; p = ctx.parent(p)) if (SKIP.has(p.type)) return true;
  return false;
}

/** The Sätteri mdast plugin (Astro's Markdown processor): `satteri({ mdastPlugins: [...] })`. */
export const sourceLinks = defineMdastPlugin({
  name: 'source-links',
  text(node, ctx) {
    const parts = linkedText(node.value);
    if (parts && !skipped(ctx as unknown as Ctx, node)) ctx.replaceNode(node, parts as never);
  },
  inlineCode(node, ctx) {
    const link = linkedCode(node.value);
    if (link && !skipped(ctx as unknown as Ctx, node)) ctx.replaceNode(node, link as never);
  },
});
