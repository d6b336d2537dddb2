/**
 * `npm run labs:stress -- [--runs 20] [--load] [lab|chapter ...]`: runs the lab suite again and
 * again, the way `npm test` does (each lab in its own sandbox, several at once), and reports per
 * lab and per claim how often it failed. `--load` keeps both cores busy with spinning processes
 * for the whole run. Target: zero failures in 20 runs, with and without load. A run in which a
 * claim failed is kept whole in test-results/stress/ for diagnosis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { intOption, parseCommandLine, selectLabs } from './_lib/args.ts';
import type { LabError } from './_lib/errors.ts';
import {
  DEFAULT_CONCURRENCY,
  median,
  runEach,
  runLabsJson,
  slowestFirst,
} from './_lib/subprocess.ts';
import { labs } from './index.ts';

const HELP =
  'usage: npm run labs:stress -- [--runs N] [--load] [--concurrency N] [lab|chapter ...]';
let options;
try {
  const { values, positionals } = parseCommandLine(
    process.argv.slice(2),
    {
      runs: { type: 'string', default: '20' },
      load: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: String(DEFAULT_CONCURRENCY) },
      help: { type: 'boolean', short: 'h', default: false },
    },
    HELP,
  );
  options = {
    help: values.help,
    load: values.load,
    runs: intOption(values.runs, '--runs', 1, 1000, HELP)!,
    concurrency: intOption(values.concurrency, '--concurrency', 1, 32, HELP)!,
    selected: positionals.length ? selectLabs(positionals, labs, HELP) : labs,
  };
} catch (error) {
  const e = error as LabError;
  console.error(`labs:stress: ${e.message}\n${e.hint ?? ''}`);
  process.exit(e.exitCode ?? 2);
}
if (options.help) {
  console.log(HELP);
  process.exit(0);
}
const { runs, concurrency, selected } = options;

// Background load: one spinning process per core, killed on every exit path. Each spinner also
// checks now and then that we are still its parent, so even a SIGKILL of this script stops it.
const SPIN = `const p = process.ppid; for (let i = 0; ; i++) if ((i & 0xffffff) === 0 && process.ppid !== p) process.exit(0);`;
const spinners: ChildProcess[] = options.load
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
  `stress: ${runs} runs of ${selected.length} labs, ${concurrency} at a time${options.load ? `, ${spinners.length} cores kept busy` : ''}`,
);
for (let i = 1; i <= runs; i++) {
  const started = performance.now();
  let failedThisRun = 0;
  await runEach(slowestFirst(selected.map((l) => l.id)), concurrency, async (id) => {
    // Every run keeps its capture until it is known to have passed.
    const pcap = join(tmpdir(), `stress-${process.pid}-${id.replace('/', '--')}-${i}.pcap`);
    try {
      const {
        runs: [run],
      } = await runLabsJson([id], {}, ['--pcap', pcap]);
      const failed = run.claims.filter((claim) => !claim.holds);
      for (const claim of failed) {
        fail(
          id,
          `${claim.id} (observed ${JSON.stringify(claim.observed)}, expected ${claim.expected})`.slice(
            0,
            160,
          ),
        );
        failedThisRun++;
      }
      // Keep the whole run of a failure: its timeline and packets say why, the table cannot.
      if (failed.length) {
        mkdirSync(KEPT, { recursive: true });
        const file = join(KEPT, `${id.replace('/', '--')}-run${i}`);
        writeFileSync(`${file}.json`, `${JSON.stringify(run, null, 1)}\n`);
        if (existsSync(pcap)) copyFileSync(pcap, `${file}.pcap`);
        console.error(
          `  ${id}: ${failed.map((c) => c.id).join(', ')} failed; run kept in ${file}.json and .pcap`,
        );
      }
    } catch (error) {
      fail(id, `(run failed: ${(error as Error).message.split('\n').slice(-1)[0]})`.slice(0, 160));
      failedThisRun++;
    } finally {
      rmSync(pcap, { force: true });
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
