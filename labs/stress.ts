/**
 * `npm run labs:stress -- [--runs 20] [--load] [lab|chapter ...]`: runs the lab suite again and
 * again, the way `npm test` does (each lab in its own sandbox, several at once), and reports per
 * lab and per claim how often it failed. `--load` keeps both cores busy with spinning processes
 * for the whole run. Target: zero failures in 20 runs, with and without load. A run in which a
 * claim failed is kept whole in test-results/stress/ for diagnosis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { verdicts } from './_lib/claims.ts';
import {
  DEFAULT_CONCURRENCY,
  median,
  runEach,
  runLabsJson,
  slowestFirst,
} from './_lib/subprocess.ts';
import { labs } from './index.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '20' },
    load: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: String(DEFAULT_CONCURRENCY) },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: npm run labs:stress -- [--runs N] [--load] [--concurrency N] [lab|chapter ...]',
  );
  process.exit(0);
}
const runs = Number(values.runs);
const concurrency = Number(values.concurrency);
if (
  !Number.isInteger(runs) ||
  runs < 1 ||
  runs > 1000 ||
  !Number.isInteger(concurrency) ||
  concurrency < 1
) {
  console.error('labs:stress: --runs must be 1..1000 and --concurrency ≥ 1');
  process.exit(2);
}
const selected = positionals.length
  ? labs.filter((lab) => positionals.some((p) => lab.id === p || lab.id.startsWith(`${p}/`)))
  : labs;
if (selected.length === 0) {
  console.error(`labs:stress: no lab matches ${positionals.join(' ')}`);
  process.exit(2);
}

// Background load: one spinning process per core, killed on every exit path. Each spinner also
// checks now and then that we are still its parent, so even a SIGKILL of this script stops it.
const SPIN = `const p = process.ppid; for (let i = 0; ; i++) if ((i & 0xffffff) === 0 && process.ppid !== p) process.exit(0);`;
const spinners: ChildProcess[] = values.load
  ? cpus().map(() => spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore' }))
  : [];
const stopLoad = () => spinners.forEach((s) => s.kill('SIGKILL'));
process.on('exit', stopLoad);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

/** failures[lab][claim or "(run failed)"] = number of runs in which it failed */
const failures = new Map<string, Map<string, number>>();
const fail = (lab: string, what: string) => {
  const byClaim = failures.get(lab) ?? new Map<string, number>();
  byClaim.set(what, (byClaim.get(what) ?? 0) + 1);
  failures.set(lab, byClaim);
};
const suiteTimes: number[] = [];
/** Failing runs are written here (git-ignored), one JSON file each. */
const KEPT = 'test-results/stress';
console.error(
  `stress: ${runs} runs of ${selected.length} labs, ${concurrency} at a time${values.load ? `, ${spinners.length} cores kept busy` : ''}`,
);
for (let i = 1; i <= runs; i++) {
  const started = performance.now();
  let failedThisRun = 0;
  await runEach(slowestFirst(selected.map((l) => l.id)), concurrency, async (id) => {
    const lab = selected.find((l) => l.id === id)!;
    try {
      const {
        runs: [run],
      } = await runLabsJson([id]);
      const failed = verdicts(lab.claims, run).filter((result) => !result.holds);
      for (const result of failed) {
        fail(
          id,
          `${result.claim.id} (observed ${JSON.stringify(result.observed)}, expected ${result.expected})`.slice(
            0,
            160,
          ),
        );
        failedThisRun++;
      }
      // Keep the whole run of a failure: its timeline and packets say why, the table cannot.
      if (failed.length) {
        mkdirSync(KEPT, { recursive: true });
        const file = join(KEPT, `${id.replace('/', '--')}-run${i}.json`);
        writeFileSync(file, `${JSON.stringify(run, null, 1)}\n`);
        console.error(
          `  ${id}: ${failed.map((r) => r.claim.id).join(', ')} failed; run kept in ${file}`,
        );
      }
    } catch (error) {
      fail(id, `(run failed: ${(error as Error).message.split('\n').slice(-1)[0]})`.slice(0, 160));
      failedThisRun++;
    }
  });
  const seconds = (performance.now() - started) / 1000;
  suiteTimes.push(seconds);
  console.error(`run ${i}/${runs}: ${failedThisRun} failed claims, ${seconds.toFixed(1)} s`);
}
stopLoad();

console.log(`\n| lab | runs | failed claim | failures |\n| --- | --- | --- | --- |`);
for (const lab of selected) {
  const byClaim = failures.get(lab.id);
  if (!byClaim) console.log(`| ${lab.id} | ${runs} | — | 0 |`);
  else for (const [what, n] of byClaim) console.log(`| ${lab.id} | ${runs} | ${what} | ${n} |`);
}
const total = [...failures.values()].reduce(
  (n, m) => n + [...m.values()].reduce((a, b) => a + b, 0),
  0,
);
console.log(
  `\nsuite wall time: median ${median(suiteTimes).toFixed(1)} s, min ${Math.min(...suiteTimes).toFixed(1)} s, max ${Math.max(...suiteTimes).toFixed(1)} s`,
);
console.log(`total failures: ${total} in ${runs} runs`);
process.exitCode = total === 0 ? 0 : 1;
