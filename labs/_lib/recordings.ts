/**
 * Where a lab's committed recordings live, and reading and writing them: the one place that knows
 * the paths of the LabRun (.json), the capture it decodes from (.pcap), and the kernel summaries.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './cache.ts';
import type { LabRun } from './types.ts';

/** The repository root (two levels above this file). */
export const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Recordings have a kernel dimension. The primary kernel's runs (the machine the site is built
 * from) live beside the labs, `labs/<chapter>/recorded/<lab>.json` and `.pcap`; every other
 * kernel of the matrix has its own set, `labs/kernels/<name>/<chapter>/<lab>.json` and `.pcap`,
 * so re-recording one kernel never touches another. Each kernel, the primary one included, has a
 * summary, `labs/kernels/<name>/summary.json`: every lab's claims with verdict and observed value.
 * A kernel's name is its release series (`6.1`, `6.12`, `6.18`).
 */
export const KERNELS_DIR = 'labs/kernels';

/** `6.12.118+deb12-amd64` → `6.12`. */
export function kernelSeries(release: string): string {
  return /^\d+\.\d+/.exec(release)?.[0] ?? release;
}

/** Where a lab's recording lives, relative to the repository root, for a kernel of the matrix. */
export function recordingPath(id: string, ext: 'json' | 'pcap', kernel?: string): string {
  const [chapter, name] = id.split('/');
  return kernel === undefined
    ? `labs/${chapter}/recorded/${name}.${ext}`
    : `${KERNELS_DIR}/${kernel}/${chapter}/${name}.${ext}`;
}

/** The committed recording of a lab (the primary kernel's unless named), or undefined. */
export function readRecording(
  id: string,
  root: string = REPO_DIR,
  kernel?: string,
): LabRun | undefined {
  const file = join(root, recordingPath(id, 'json', kernel));
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LabRun) : undefined;
}

/** Writes a run and its capture (when it has one) where the site and the tests read them. */
export function writeRecording(
  run: LabRun,
  pcap: Buffer | undefined,
  root: string = REPO_DIR,
  kernel?: string,
) {
  const json = join(root, recordingPath(run.id, 'json', kernel));
  mkdirSync(dirname(json), { recursive: true });
  writeFileSync(json, `${JSON.stringify(run, null, 1)}\n`);
  const pcapFile = join(root, recordingPath(run.id, 'pcap', kernel));
  if (pcap) writeFileSync(pcapFile, pcap);
  else rmSync(pcapFile, { force: true });
}

/** One claim on one kernel, as the summary keeps it. */
export interface SummaryClaim {
  id: string;
  holds: boolean;
  /** Absent when the run did not record the value. */
  observed?: unknown;
  expected: string;
  beforeChange: boolean;
  cost: boolean;
}

/** One lab on one kernel: its claims, or why it did not run. */
export interface SummaryLab {
  id: string;
  /** `ran`; `unsupported` (the kernel lacks a feature, exit 6); `failed` (any other exit). */
  status: 'ran' | 'unsupported' | 'failed';
  exitCode: number;
  /** Why it did not run, in one line. */
  reason?: string;
  claims: SummaryClaim[];
}

/** Everything one kernel of the matrix showed. */
export interface KernelSummary {
  name: string;
  release: string;
  /** The Debian package the kernel came from, for a downloaded one. */
  package?: string;
  packageVersion?: string;
  /** `none` for the host kernel (no VM), else how qemu ran it. */
  accel: 'none' | 'kvm' | 'tcg';
  /** True for the kernel whose recordings live beside the labs (the site's default). */
  primary: boolean;
  recordedAt: string;
  labs: SummaryLab[];
}

/** A lab that ran, as a summary keeps it: each claim's verdict and observed value. */
export function summaryEntry(id: string, claims: readonly SummaryClaim[]): SummaryLab {
  return {
    id,
    status: 'ran',
    exitCode: 0,
    claims: claims.map((c) => ({
      id: c.id,
      holds: c.holds,
      ...('observed' in c ? { observed: c.observed } : {}),
      expected: c.expected,
      beforeChange: c.beforeChange,
      cost: c.cost,
    })),
  };
}

/**
 * After `npm run labs:record`: the primary kernel's summary takes the new verdicts, so that it
 * keeps describing the recordings beside the labs. Recording on a kernel other than the one the
 * summary names is refused in words (the recordings would then mix kernels); returns that
 * warning, or undefined.
 */
export function updatePrimarySummary(
  run: LabRun,
  entry: SummaryLab,
  root: string = REPO_DIR,
): string | undefined {
  const primary = readSummaries(root).find((s) => s.primary);
  if (!primary) return undefined;
  if (primary.release !== run.kernel.release) {
    return `${summaryPath(primary.name)} describes ${primary.release}, this kernel is ${run.kernel.release}: run \`npm run labs:matrix -- --kernels host\` to make this kernel the primary one`;
  }
  writeSummary({ ...primary, recordedAt: run.recordedAt, labs: [entry] }, root);
  return undefined;
}

/** Where a kernel's summary lives, relative to the repository root. */
export function summaryPath(kernel: string): string {
  return `${KERNELS_DIR}/${kernel}/summary.json`;
}

/** Every committed kernel summary, primary first, then by release. */
export function readSummaries(root: string = REPO_DIR): KernelSummary[] {
  const dir = join(root, KERNELS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(join(root, summaryPath(name))))
    .map((name) => JSON.parse(readFileSync(join(root, summaryPath(name)), 'utf8')) as KernelSummary)
    .sort((a, b) => Number(b.primary) - Number(a.primary) || compareRelease(a.release, b.release));
}

/** Writes a kernel's summary; labs it does not mention keep their earlier entries. */
export function writeSummary(summary: KernelSummary, root: string = REPO_DIR): KernelSummary {
  const file = join(root, summaryPath(summary.name));
  const earlier = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as KernelSummary)
    : undefined;
  const fresh = new Set(summary.labs.map((l) => l.id));
  const merged = {
    ...summary,
    labs: [...(earlier?.labs.filter((l) => !fresh.has(l.id)) ?? []), ...summary.labs].sort((a, b) =>
      a.id.localeCompare(b.id),
    ),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(merged, null, 1)}\n`);
  return merged;
}

function compareRelease(a: string, b: string): number {
  const n = (r: string) => r.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const [x, y] = [n(a), n(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return 0;
}

/**
 * The reader's own latest run of a lab, kept where nothing is committed (the cache), so that
 * `npm start` can show it as one more column beside the committed kernels. Never fails a run.
 */
export function keepReadersRun(run: LabRun & { claims: unknown[] }): void {
  try {
    const file = readersRunPath(run.id);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(run)}\n`);
  } catch {
    // A read-only or missing cache only costs the column.
  }
}

/** Where `keepReadersRun` keeps a lab's run. */
export function readersRunPath(id: string): string {
  return join(cacheDir('runs'), `${id}.json`);
}
