/**
 * Links to the sources a chapter cites for behaviour no lab runs: the kernel at a tagged release,
 * an RFC section, a man page. Each kind has one URL form, checked at build time, so a link is
 * well-formed without fetching it and a reader always lands on a pinned, citable text.
 */

/** What a `<FromSource>` cites. */
export type SourceRef =
  | { kernel: string; tag: string; line?: number }
  | { rfc: number; section?: string }
  | { man: string };

const KERNEL_PATH = /^(?:[\w.-]+\/)*[\w.-]+\.[ch]$|^Documentation\/[\w./-]+\.rst$/;
const KERNEL_TAG = /^v\d+\.\d+(?:\.\d+)?$/;
const MAN_PAGE = /^[\w.:-]+\.[1-8][a-z]*$/;
const RFC_SECTION = /^(?:\d+(?:\.\d+)*|[A-Z](?:\.\d+)*)$/;

/** The URL and the words for a source; throws naming what is wrong. */
export function sourceLink(ref: SourceRef): { href: string; text: string } {
  if ('kernel' in ref) {
    if (!KERNEL_PATH.test(ref.kernel))
      throw new Error(
        `<FromSource kernel="${ref.kernel}">: not a kernel source path such as net/ipv4/tcp_timer.c`,
      );
    if (!KERNEL_TAG.test(ref.tag))
      throw new Error(`<FromSource tag="${ref.tag}">: a release tag such as v6.12 is required`);
    const line = ref.line ? `#L${ref.line}` : '';
    return {
      href: `https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git/tree/${ref.kernel}?h=${ref.tag}${line}`,
      text: `${ref.kernel} (Linux ${ref.tag.slice(1)})`,
    };
  }
  if ('rfc' in ref) {
    if (!Number.isInteger(ref.rfc) || ref.rfc < 1)
      throw new Error(`<FromSource rfc="${ref.rfc}">: an RFC number is required`);
    if (ref.section !== undefined && !RFC_SECTION.test(ref.section))
      throw new Error(`<FromSource section="${ref.section}">: a section such as 3.2 or A.1`);
    const anchor = ref.section
      ? `#${/^\d/.test(ref.section) ? 'section' : 'appendix'}-${ref.section}`
      : '';
    return {
      href: `https://www.rfc-editor.org/rfc/rfc${ref.rfc}.html${anchor}`,
      text: `RFC ${ref.rfc}${ref.section ? ` §${ref.section}` : ''}`,
    };
  }
  if (!MAN_PAGE.test(ref.man))
    throw new Error(`<FromSource man="${ref.man}">: a page with its section such as tcp.7`);
  const section = ref.man.split('.').pop()!;
  return {
    href: `https://man7.org/linux/man-pages/man${section[0]}/${ref.man}.html`,
    text: `${ref.man.replace(/\.([1-8][a-z]*)$/, '($1)')}`,
  };
}
