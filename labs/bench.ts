/**
 * `npm run labs:bench -- [--runs 5] [lab|chapter ...]`: each lab's wall time against the protocol
 * time it must wait (the timers it demonstrates), median of several runs, then the suite's
 * total when labs run concurrently as in `npm test`. Overhead = whole-process wall time (launcher,
 * sandbox, probe start-up, capture) minus the inherent wait. Target: under 1 s per lab.
 */
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

const HELP = 'usage: npm run labs:bench -- [--runs N] [lab|chapter ...]';
let options;
try {
  const { values, positionals } = parseCommandLine(
    process.argv.slice(2),
    {
      runs: { type: 'string', default: '5' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    HELP,
  );
  options = {
    help: values.help,
    runs: intOption(values.runs, '--runs', 1, 100, HELP)!,
    selected: positionals.length ? selectLabs(positionals, labs, HELP) : labs,
  };
} catch (error) {
  const e = error as LabError;
  console.error(`labs:bench: ${e.message}\n${e.hint ?? ''}`);
  process.exit(e.exitCode ?? 2);
}
if (options.help) {
  console.log(HELP);
  process.exit(0);
}
const { runs, selected } = options;

console.log('| lab | process wall (median) | lab wall (median) | inherent wait | overhead |');
console.log('| --- | ---: | ---: | ---: | ---: |');
let totalSequential = 0;
for (const lab of selected) {
  const process_: number[] = [];
  const inner: number[] = [];
  const inherent: number[] = [];
  const overhead: number[] = [];
  for (let i = 0; i < runs; i++) {
    const {
      runs: [run],
      wallMs,
    } = await runLabsJson([lab.id]);
    process_.push(wallMs / 1000);
    inner.push(run.wallMs / 1000);
    // Some waits differ from run to run (a random walk through ports, a timer's next tick):
    // the overhead is taken per run, then its median.
    inherent.push(run.inherentWaitS);
    overhead.push(wallMs / 1000 - run.inherentWaitS);
  }
  const wall = median(process_);
  totalSequential += wall;
  console.log(
    `| ${lab.id} | ${wall.toFixed(2)} s | ${median(inner).toFixed(2)} s | ${median(inherent).toFixed(2)} s | ${median(overhead).toFixed(2)} s |`,
  );
}

const suite: number[] = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  await runEach(slowestFirst(selected.map((l) => l.id)), DEFAULT_CONCURRENCY, (id) =>
    runLabsJson([id]),
  );
  suite.push((performance.now() - started) / 1000);
}
console.log(`\nsequential sum of medians: ${totalSequential.toFixed(1)} s`);
console.log(
  `suite, ${DEFAULT_CONCURRENCY} at a time (as npm test): median ${median(suite).toFixed(1)} s (min ${Math.min(...suite).toFixed(1)}, max ${Math.max(...suite).toFixed(1)}) over ${runs} runs`,
);
