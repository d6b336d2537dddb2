/**
 * The kernel matrix as the site shows it: for a lab card, a strip of kernels with their verdicts;
 * for /kernels/, every claim whose answer differs between kernels. Read at build time from the
 * committed summaries (labs/kernels/<series>/summary.json). In `npm start` (dev), the reader's own
 * latest run of a lab (kept by `npm run lab` in the cache) joins as one more kernel, marked as
 * theirs; a built site never includes it.
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  readersRunPath,
  readSummaries,
  type KernelSummary,
  type SummaryClaim,
  type SummaryLab,
} from '../../labs/_lib/recordings.ts';
import type { RunResult } from '../../labs/_lib/result.ts';

/** One kernel's column on a lab card. */
export interface KernelColumn {
  name: string;
  release: string;
  /** The kernel the page's recording comes from. */
  primary: boolean;
  /** The reader's own run (npm start only). */
  yours: boolean;
  accel: KernelSummary['accel'];
  lab: SummaryLab;
}

/** A kernel's verdict on one lab, in a word. */
export function verdictOf(lab: SummaryLab): 'holds' | 'differs' | 'unsupported' | 'failed' {
  if (lab.status !== 'ran') return lab.status;
  return lab.claims.every((c) => c.holds) ? 'holds' : 'differs';
}

let summaries: KernelSummary[] | undefined;
/** Every committed kernel, primary first (the build runs from the project root). */
export function kernels(): KernelSummary[] {
  summaries ??= readSummaries(process.cwd());
  return summaries;
}

/** The kernels that ran a lab, primary first, then the reader's own run when serving locally. */
export function kernelColumns(labId: string): KernelColumn[] {
  const columns: KernelColumn[] = kernels().flatMap((k) => {
    const lab = k.labs.find((l) => l.id === labId);
    return lab
      ? [
          {
            name: k.name,
            release: k.release,
            primary: k.primary,
            yours: false,
            accel: k.accel,
            lab,
          },
        ]
      : [];
  });
  const mine = import.meta.env.DEV ? readersRun(labId) : undefined;
  if (mine) {
    columns.push({
      name: 'yours',
      release: mine.kernel.release,
      primary: false,
      yours: true,
      accel: 'none',
      lab: {
        id: labId,
        status: 'ran',
        exitCode: 0,
        claims: mine.claims.map(({ id, holds, observed, expected, beforeChange, cost }) => ({
          id,
          holds,
          observed,
          expected,
          beforeChange,
          cost,
        })),
      },
    });
  }
  return columns;
}

function readersRun(labId: string): RunResult | undefined {
  try {
    const file = readersRunPath(labId);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunResult) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a claim tells kernels apart: its verdict differs, or a different side of a kernel
 * change applied. (Values that only wobble within the same expectation, a timing from run to run,
 * do not count.)
 */
export function differsAcrossKernels(claims: Array<SummaryClaim | undefined>): boolean {
  const present = claims.filter((c): c is SummaryClaim => c !== undefined);
  return (
    new Set(present.map((c) => c.holds)).size > 1 ||
    new Set(present.map((c) => c.beforeChange)).size > 1
  );
}

/** One row of /kernels/: a claim whose answer differs between kernels, or a lab one cannot run. */
export interface KernelDifference {
  labId: string;
  /** A claim id, or undefined when the lab itself did not run on some kernel. */
  claimId?: string;
  /** The claim bounds a cost: under emulation it may differ without the kernel differing. */
  cost: boolean;
  /** Per kernel name: the claim as that kernel recorded it, or the lab's status. */
  cells: Record<string, { text: string; holds?: boolean; beforeChange?: boolean }>;
}

/** Every claim (and lab) whose answer differs between the committed kernels. */
export function kernelDifferences(): KernelDifference[] {
  const ks = kernels();
  const ids = [...new Set(ks.flatMap((k) => k.labs.map((l) => l.id)))].sort();
  const rows: KernelDifference[] = [];
  for (const labId of ids) {
    const labs = ks.map((k) => k.labs.find((l) => l.id === labId));
    if (new Set(labs.map((l) => l?.status ?? 'absent')).size > 1) {
      rows.push({
        labId,
        cost: false,
        cells: Object.fromEntries(
          ks.map((k, i) => [k.name, { text: labs[i]?.status ?? 'not run' }]),
        ),
      });
    }
    const claimIds = [...new Set(labs.flatMap((l) => l?.claims.map((c) => c.id) ?? []))];
    for (const claimId of claimIds) {
      const claims = labs.map((l) => l?.claims.find((c) => c.id === claimId));
      if (!differsAcrossKernels(claims)) continue;
      rows.push({
        labId,
        claimId,
        cost: claims.some((c) => c?.cost),
        cells: Object.fromEntries(
          ks.map((k, i) => {
            const c = claims[i];
            return [
              k.name,
              c
                ? { text: show(c.observed), holds: c.holds, beforeChange: c.beforeChange }
                : { text: labs[i]?.status ?? 'not run' },
            ];
          }),
        ),
      });
    }
  }
  return rows;
}

const show = (v: unknown) =>
  v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v);

/** The /kernels/ heading over the chapters' differences. */
export const DIFFERENCES = { slug: 'differences', label: 'Where the kernels differ' };

/** One heading of /kernels/ and the rows under it. */
export interface DifferenceGroup {
  /** The heading's anchor. */
  slug: string;
  label: string;
  rows: KernelDifference[];
}

/**
 * /kernels/ in sections: real differences by chapter, in reading order; and apart, the claims that
 * bound a cost (a time), which emulation slows without the kernel behaving differently.
 */
export function differenceGroups(chapters: ReadonlyArray<{ slug: string; label: string }>): {
  byChapter: DifferenceGroup[];
  costs: DifferenceGroup;
} {
  const all = kernelDifferences();
  const real = all.filter((r) => !r.cost);
  return {
    byChapter: chapters
      .map((c) => ({
        slug: `differences-${c.slug}`,
        label: c.label,
        rows: real.filter((r) => r.labId.startsWith(`${c.slug}/`)),
      }))
      .filter((g) => g.rows.length),
    costs: {
      slug: 'emulation-costs',
      label: 'Timings under emulation',
      rows: all.filter((r) => r.cost),
    },
  };
}
