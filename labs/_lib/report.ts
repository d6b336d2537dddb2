/** The terminal report of a run: packets tcpdump-style, the timeline, facts, then the claims. */
import { show } from './claims.ts';
import { formatPacket } from './pcap.ts';
import type { ClaimResult, RunResult } from './result.ts';
import type { Lab } from './types.ts';

const useColour = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (useColour ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint(1);
const dim = paint(2);
const green = paint(32);
const red = paint(31);

/** Timeline events that are notes about the run, not observations: said once at the end. */
const RUN_NOTES = new Set(['sysctl-not-pinned']);

/** The report of one checked run. */
export function report(lab: Lab, run: RunResult): string {
  const width = Math.max(60, Math.min(process.stdout.columns || 100, 140));
  const lines: string[] = [];
  lines.push(bold(`▶ ${lab.id} — ${lab.title}`));
  lines.push(...wrap(lab.verifies, width, '  '));
  lines.push(
    dim(`  kernel ${run.kernel.release} · ${run.privilege} · ${(run.wallMs / 1000).toFixed(2)} s`),
  );
  lines.push('', bold('Packets'));
  if (run.packets.length === 0) lines.push(dim('  (none captured)'));
  for (const p of run.packets) lines.push(`  ${formatPacket(p)}`);
  lines.push('', bold('Timeline'));
  for (const e of run.events.filter((e) => !RUN_NOTES.has(e.event))) {
    const { t, host, event, ...fields } = e;
    const head = `  ${t.toFixed(6).padStart(10)}  ${host.padEnd(8)} ${event.padEnd(16)} `;
    const rest = Object.entries(fields)
      .map(([k, v]) => `${k}=${show(v)}`)
      .join(' ');
    const [first = '', ...more] = wrap(rest, width - head.length, '');
    lines.push(`${head}${dim(first)}`, ...more.map((l) => dim(`${' '.repeat(head.length)}${l}`)));
  }
  lines.push('', bold('Facts'));
  for (const [key, value] of Object.entries(run.facts)) {
    const [first = '', ...more] = wrap(show(value), width - 31, '');
    lines.push(`  ${key.padEnd(28)} ${first}`, ...more.map((l) => `${' '.repeat(31)}${l}`));
  }
  lines.push('', bold('Claims'));
  for (const c of run.claims) {
    lines.push(
      ...wrap(c.says, width - 4, '    ').map((l, i) =>
        i ? l : `  ${c.holds ? green('✓') : red('✗')} ${l.trimStart()}`,
      ),
    );
    const observed = c.error ? `nothing (observe failed: ${c.error})` : show(c.observed);
    const note = c.kernelNote ? ` (${c.kernelNote})` : '';
    lines.push(
      ...wrap(
        `expected ${c.expected}${kernelWords(c)}, observed ${observed}${note}`,
        width,
        '      ',
      ).map(dim),
    );
  }
  if (run.claims.some((c) => !c.holds)) {
    lines.push(
      '',
      red('  Your kernel behaved differently from the recorded run on the claims marked ✗.'),
    );
    lines.push(dim('  That is a finding, not a crash: compare with the chapter and tell us.'));
  }
  return lines.join('\n');
}

/** `12 labs, 97 claims: 96 held, 1 differed (handshakes/x: syns) · 23.4 s`. */
export function summaryLine(runs: RunResult[], wallMs: number): string {
  const claims = runs.flatMap((r) => r.claims.map((c) => ({ lab: r.id, c })));
  const differed = claims.filter(({ c }) => !c.holds);
  const which = differed.length
    ? ` (${differed
        .slice(0, 5)
        .map(({ lab, c }) => `${lab}: ${c.id}`)
        .join(', ')}${differed.length > 5 ? ', …' : ''})`
    : '';
  const text = `${runs.length} labs, ${claims.length} claims: ${claims.length - differed.length} held, ${differed.length} differed${which} · ${(wallMs / 1000).toFixed(1)} s`;
  return bold(differed.length ? red(text) : green(text));
}

/**
 * Notes about the runs that a reader should see once, not on every lab's timeline: a sysctl the
 * sandbox could not set, with what the kernel used instead.
 */
export function notesOnce(runs: RunResult[]): string[] {
  const seen = new Map<string, string>();
  for (const e of runs.flatMap((r) => r.events)) {
    if (e.event !== 'sysctl-not-pinned' || seen.has(String(e.key))) continue;
    const why = e.error ? ` (${String(e.error).replace(/^sysctl: /, '')})` : '';
    seen.set(String(e.key), `could not set ${e.key}=${e.wanted}${why}; the runs used ${e.actual}`);
  }
  return [...seen.values()];
}

/** ` on Linux ≥ 6.5` or ` before Linux 6.5`, for a claim whose expectation changed in a release. */
function kernelWords(c: ClaimResult): string {
  const k = c.kernel;
  if (!k) return '';
  return c.beforeChange ? ` before Linux ${k.since} (${k.change})` : ` on Linux ≥ ${k.since}`;
}

/** `text` broken at spaces into lines of at most `width` characters, each led by `indent`. */
function wrap(text: string, width: number, indent: string): string[] {
  const room = Math.max(20, width - indent.length);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line || lines.length === 0) lines.push(indent + line);
  return lines;
}
