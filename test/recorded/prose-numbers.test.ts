/**
 * A number a recording holds is quoted from it (<Observed lab fact />), never typed into prose,
 * where it would drift from the next recording. For each chapter page, every number in its prose
 * and frontmatter (outside <Observed>, code blocks, inline code, component tags and links) is
 * compared with the numeric facts of the labs whose cards it shows; a match fails unless the
 * number is one of the lab's own settings (a numeric literal in its chapter's lab sources: the
 * 4000-byte datagram the lab sends does not drift) or a protocol or kernel constant on the short,
 * explicit list below. Single-digit integers are too common in prose ("three segments", "§2") to
 * tell apart, and are not checked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chapters } from '../../content/chapters.ts';
import { labs } from '../../labs/index.ts';
import { readRecording, REPO_DIR } from '../../labs/_lib/recordings.ts';

/** Numbers that are constants of the protocols, the kernel or a lab's own settings, with why. */
const CONSTANTS: Record<string, string> = {
  '1500': 'Ethernet MTU, set on the lab links',
  '1280': 'IPv6 minimum MTU, the narrow link',
  '1460': 'MSS for MTU 1500 over IPv4 (1500 − 40)',
  '1448': 'MSS minus 12 bytes of timestamps',
  '1440': 'MSS for MTU 1500 over IPv6 (1500 − 60)',
  '1472': 'largest unfragmented UDP payload on MTU 1500',
  '1473': 'one byte over it',
  '1480': 'IPv4 payload of a 1500-byte packet',
  '536': 'the default MSS (RFC 9293)',
  '576': 'minimum IPv4 reassembly size',
  '552': 'min_pmtu',
  '65535': 'largest unscaled window',
  '65495': 'MSS on lo (65536 − 41)',
  '60': 'TCP_TIMEWAIT_LEN and tcp_fin_timeout default, seconds',
  '200': 'TCP_DELACK_MAX / TCP_CORK ceiling, ms',
  '40': 'TCP_DELACK_MIN, ms; IPv4 + TCP header bytes',
  '20': 'IPv4 and TCP header bytes',
  '12': 'timestamp option bytes',
  '10': 'initial congestion window (segments)',
  '64': 'ZMTP greeting bytes',
  '128': 'somaxconn before 5.4',
  '4096': 'somaxconn since 5.4; tcp_rmem min',
  '131072': 'tcp_rmem default',
  '6291456': 'tcp_rmem max pinned by the labs (6 MiB)',
  '33554432': 'tcp_rmem max default since 6.16 (32 MiB)',
  '16384': 'tcp_wmem default',
  '4194304': 'tcp_wmem max',
  '212992': 'rmem_max / wmem_max default',
  '15': 'tcp_retries2 default',
};

/** Numbers a chapter quotes from another source that happen to equal a recorded value. */
const QUOTED: Record<string, Record<string, string>> = {
  zeromq: { '53': "a debugging write-up's trace: the greeting split 10, 1, 53" },
};

/** Numeric leaves of a fact value: 7, [1.024, 2.048], { recvQ: 2 }. */
function numbers(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'number' && Number.isFinite(value)) out.add(String(value));
  else if (Array.isArray(value)) value.forEach((v) => numbers(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => numbers(v, out));
  return out;
}

/** The prose of an MDX page: code, tags, <Observed>, links' URLs and imports removed. */
export function prose(mdx: string): string {
  return mdx
    .replace(/^```[\s\S]*?^```/gm, ' ')
    .replace(/^import .*$/gm, ' ')
    .replace(/<Observed\s[^>]*\/>/g, ' ')
    .replace(/<[A-Z][\s\S]*?\/?>/g, ' ')
    .replace(/`[^`\n]*`/g, ' ')
    .replace(/\]\([^)]*\)/g, ']')
    .replace(/^\s+(evidence|source):.*$/gm, ' ')
    .replace(/https?:\/\/\S+/g, ' ');
}

const pagesOf = (slug: string) =>
  readdirSync(join(REPO_DIR, 'content', slug), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.mdx'))
    .map((f) => join(REPO_DIR, 'content', slug, f));

/** `line: "number" is recorded as lab:fact` for each recorded number typed into `text`. */
function typedNumbers(
  text: string,
  facts: Map<string, string[]>,
  own: Set<string>,
  slug: string,
): string[] {
  const typed: string[] = [];
  for (const m of text.matchAll(/(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\d)/g)) {
    const n = String(Number(m[0]));
    if (/^\d$/.test(n) || CONSTANTS[n] || QUOTED[slug]?.[n] || own.has(n) || !facts.has(n))
      continue;
    const line = text.slice(0, m.index).split('\n').length;
    typed.push(`${line}: "${m[0]}" is recorded as ${facts.get(n)!.slice(0, 2).join(', ')}`);
  }
  return typed;
}

/** Numeric literals in a chapter's lab sources (.ts and .c): the settings its labs choose. */
function settings(slug: string): Set<string> {
  const dir = join(REPO_DIR, 'labs', slug);
  const out = new Set<string>();
  for (const f of readdirSync(dir).filter((f) => /\.(ts|c)$/.test(f))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(
      /(?<![\w.])\d[\d_]*(?:\.\d+)?(?![\w.])/g,
    )) {
      out.add(String(Number(m[0].replaceAll('_', ''))));
    }
  }
  return out;
}

describe.each(chapters.map((c) => [c.slug]))('%s', (slug) => {
  const own = settings(slug);
  const facts = new Map<string, string[]>();
  for (const lab of labs.filter((l) => l.id.startsWith(`${slug}/`))) {
    const run = readRecording(lab.id);
    for (const [key, value] of Object.entries(run?.facts ?? {})) {
      for (const n of numbers(value)) facts.set(n, [...(facts.get(n) ?? []), `${lab.id}:${key}`]);
    }
  }

  it('types no recorded number into its prose', () => {
    const typed = pagesOf(slug).flatMap((file) =>
      typedNumbers(prose(readFileSync(file, 'utf8')), facts, own, slug).map(
        (t) => `${file.slice(REPO_DIR.length + 1)}:${t}`,
      ),
    );
    expect(
      typed,
      'quote it with <Observed lab fact />, or add a true constant to CONSTANTS',
    ).toEqual([]);
  });
});

describe('the check itself', () => {
  const facts = new Map([
    ['65160', ['handshakes/three-way-handshake:synAckWindow']],
    ['1.024', ['x:gapS']],
  ]);

  it('catches a recorded number typed into prose, and not one quoted with <Observed>', () => {
    const text = prose(
      'The SYN-ACK offered 65160, and the gap was 1.024 s.\n\nThen <Observed lab="a/b" fact="gapS" /> s.',
    );
    expect(typedNumbers(text, facts, new Set(), 'handshakes')).toEqual([
      '1: "65160" is recorded as handshakes/three-way-handshake:synAckWindow',
      '1: "1.024" is recorded as x:gapS',
    ]);
  });

  it("lets a lab's own setting and a listed constant through", () => {
    expect(
      typedNumbers(
        prose('A 65160-byte write on a 1500-byte link.'),
        facts,
        new Set(['65160']),
        'x',
      ),
    ).toEqual([]);
  });
});
