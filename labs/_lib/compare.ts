/**
 * `npm run lab -- <lab> --compare`: the reader's run beside every kernel of the matrix. For each
 * claim, the value observed here next to the value each committed kernel recorded, and which of
 * those kernels this one behaves like: the one whose expected answers the most of the reader's
 * values meet (a claim whose answer changed in a release tells kernels apart; timings that differ
 * slightly from run to run do not), ties broken by identical values. Cost claims are left out.
 */
import { isDeepStrictEqual } from 'node:util';
import { expectationFor, holds, show } from './claims.ts';
import type { KernelSummary } from './recordings.ts';
import type { RunResult } from './result.ts';
import type { Lab } from './types.ts';

/** A claim's observed value as a short cell. */
const cell = (value: unknown, holds?: boolean) =>
  `${holds === false ? '✗ ' : ''}${show(value)}`.slice(0, 28);

/** The comparison of one run with the committed kernels, as text. */
export function comparison(lab: Lab, run: RunResult, kernels: KernelSummary[]): string {
  const others = kernels
    .map((k) => ({ k, lab: k.labs.find((l) => l.id === run.id) }))
    .filter((x) => x.lab !== undefined);
  if (others.length === 0) return `  (no committed kernel has recorded ${run.id} yet)`;
  const head = [
    'claim',
    `yours (${run.kernel.release})`,
    ...others.map(({ k }) => `${k.name}${k.primary ? ' (site)' : ''}`),
  ];
  const rows = run.claims.map((c) => [
    c.id,
    cell(c.observed, c.holds),
    ...others.map(({ lab }) => {
      if (lab!.status !== 'ran') return lab!.status;
      const theirs = lab!.claims.find((x) => x.id === c.id);
      return theirs ? cell(theirs.observed, theirs.holds) : '—';
    }),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((x, i) => x.padEnd(widths[i]!)).join('  ')}`;
  const mine = run.claims.filter((c) => !c.cost);
  const scores = others.map(({ k, lab: theirs }) => ({
    k,
    meets: mine.filter((c) => {
      const claim = lab.claims.find((x) => x.id === c.id);
      return claim !== undefined && holds(expectationFor(claim, k.release).expect, c.observed);
    }).length,
    same: mine.filter((c) =>
      isDeepStrictEqual(theirs!.claims.find((x) => x.id === c.id)?.observed, c.observed),
    ).length,
  }));
  const compared = mine.length;
  const best = [...scores].sort(
    (a, b) => b.meets - a.meets || b.same - a.same || Number(b.k.primary) - Number(a.k.primary),
  )[0]!;
  return [
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    best.meets === compared
      ? `  Your kernel behaves like ${best.k.name} (${best.k.release}) here: all ${compared} of your values are what ${best.k.name} leads one to expect (${best.same} identical).`
      : `  No recorded kernel explains every value; closest is ${best.k.name} (${best.k.release}): ${best.meets} of ${compared} of your values are what it leads one to expect.`,
  ].join('\n');
}
