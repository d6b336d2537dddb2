/** The --json contract: documents built by the CLI's own code conform to labs/result.schema.json. */
import { describe, expect, it } from 'vitest';
import { labs } from '../../labs/index.ts';
import { readRecording } from '../../labs/_lib/recordings.ts';
import {
  checkRun,
  errorResult,
  result,
  RESULT_VERSION,
  type RunResult,
} from '../../labs/_lib/result.ts';
import { exitCodeFor } from '../../labs/_lib/command.ts';
import { schemaErrors } from '../support/result-schema.ts';

const checked = (id: string): RunResult => {
  const lab = labs.find((l) => l.id === id)!;
  return checkRun(lab, readRecording(id)!);
};

describe('the --json document', () => {
  it('conforms to the schema for every recorded lab', () => {
    const runs = labs.map((l) => checked(l.id));
    expect(schemaErrors(result(runs, 0, 1234))).toEqual([]);
  });

  it('carries each claim with its verdict, expectation and observed value', () => {
    const run = checked('handshakes/three-way-handshake');
    const mss = run.claims.find((c) => c.id === 'syn-mss')!;
    expect(mss).toMatchObject({
      fact: 'synMss',
      expect: { equals: 1460 },
      expected: 'equals 1460',
      observed: 1460,
      holds: true,
      beforeChange: false,
      cost: false,
    });
  });

  it('counts held and differing claims in the summary', () => {
    const run = checked('handshakes/three-way-handshake');
    const broken = { ...run, claims: run.claims.map((c, i) => (i ? c : { ...c, holds: false })) };
    expect(result([broken], 1, 10).summary).toEqual({
      labs: 1,
      claims: run.claims.length,
      held: run.claims.length - 1,
      differed: 1,
      wallMs: 10,
    });
  });

  it('picks the pre-change expectation on an older kernel and says so', () => {
    const recorded = readRecording('reachability/linear-syn-retries')!;
    const lab = labs.find((l) => l.id === recorded.id)!;
    const old = { ...recorded, kernel: { ...recorded.kernel, release: '6.1.0-57-amd64' } };
    const syns = checkRun(lab, { ...old, facts: { ...old.facts, syns: 3 } }).claims.find(
      (c) => c.id === 'syns',
    )!;
    expect(syns).toMatchObject({ beforeChange: true, expect: { equals: 3 }, holds: true });
  });

  it('describes a failure to run as an error document', () => {
    const doc = errorResult(2, 'Unknown lab or chapter "x".', 'Run `npm run lab -- --help`.');
    expect(doc.version).toBe(RESULT_VERSION);
    expect(schemaErrors(doc)).toEqual([]);
  });

  it.each([
    ['a success document with an error code', { ...result([], 0, 0), exitCode: 5 }],
    ['an error document claiming success', { ...errorResult(2, 'x'), exitCode: 0 }],
    ['a document of another version', { ...result([], 0, 0), version: 2 }],
    [
      'a run without claims',
      { ...result([checked('udp/one-send-one-datagram')], 0, 0), runs: [{ id: 'udp/x' }] },
    ],
  ])('rejects %s', (_what, doc) => {
    expect(schemaErrors(doc)).not.toEqual([]);
  });
});

describe('--strict', () => {
  const run = checked('handshakes/three-way-handshake');
  const broken = { ...run, claims: run.claims.map((c, i) => (i ? c : { ...c, holds: false })) };

  it.each([
    [false, [run], 0],
    [false, [broken], 0],
    [true, [run], 0],
    [true, [broken], 1],
  ] as const)('strict %s: exit %#', (strict, runs, code) => {
    expect(exitCodeFor([...runs], strict)).toBe(code);
    // The JSON document says the same, and a failing strict run is still a valid result.
    expect(schemaErrors(result([...runs], exitCodeFor([...runs], strict), 1))).toEqual([]);
  });
});
