/** The terminal report of a run: packets tcpdump-style, the timeline, facts, then the claims. */
import { show, verdicts, type Verdict } from './claims.ts';
import { formatPacket } from './pcap.ts';
import type { Lab, LabRun } from './types.ts';

const useColour = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (useColour ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint(1);
const dim = paint(2);
const green = paint(32);
const red = paint(31);

/** Renders the report; returns the text and whether every claim held. */
export function report(lab: Lab, run: LabRun): { text: string; allHold: boolean } {
  const lines: string[] = [];
  lines.push(bold(`▶ ${lab.id} — ${lab.title}`));
  lines.push(`  ${lab.verifies}`);
  lines.push(
    dim(`  kernel ${run.kernel.release} · ${run.privilege} · ${(run.wallMs / 1000).toFixed(2)} s`),
  );
  lines.push('', bold('Packets'));
  if (run.packets.length === 0) lines.push(dim('  (none captured)'));
  for (const p of run.packets) lines.push(`  ${formatPacket(p)}`);
  lines.push('', bold('Timeline'));
  for (const e of run.events) {
    const { t, host, event, ...fields } = e;
    const rest = Object.entries(fields)
      .map(([k, v]) => `${k}=${show(v)}`)
      .join(' ');
    lines.push(
      `  ${t.toFixed(6).padStart(10)}  ${host.padEnd(8)} ${event.padEnd(16)} ${dim(rest)}`,
    );
  }
  lines.push('', bold('Facts'));
  for (const [key, value] of Object.entries(run.facts))
    lines.push(`  ${key.padEnd(28)} ${show(value)}`);
  lines.push('', bold('Claims'));
  const results = verdicts(lab.claims, run);
  for (const r of results) {
    const mark = r.holds ? green('✓') : red('✗');
    lines.push(`  ${mark} ${r.claim.says}`);
    const observed = r.error ? `nothing (observe failed: ${r.error})` : show(r.observed);
    lines.push(
      dim(
        `      expected ${r.expected}${kernelWords(r)}, observed ${observed}${r.claim.kernelNote ? ` (${r.claim.kernelNote})` : ''}`,
      ),
    );
  }
  const allHold = results.every((r) => r.holds);
  if (!allHold) {
    lines.push(
      '',
      red('  Your kernel behaved differently from the recorded run on the claims marked ✗.'),
    );
    lines.push(dim('  That is a finding, not a crash: compare with the chapter and tell us.'));
  }
  return { text: lines.join('\n'), allHold };
}

/** ` on Linux ≥ 6.5` or ` before Linux 6.5`, for a claim whose expectation changed in a release. */
function kernelWords(v: Verdict): string {
  const k = v.claim.kernel;
  if (!k) return '';
  return v.beforeChange ? ` before Linux ${k.since} (${k.change})` : ` on Linux ≥ ${k.since}`;
}
