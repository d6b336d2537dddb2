import { describe, expect, it } from 'vitest';
import { labs } from '../../labs/index.ts';
import { comparison } from '../../labs/_lib/compare.ts';
import { readRecording, type KernelSummary } from '../../labs/_lib/recordings.ts';
import { checkRun } from '../../labs/_lib/result.ts';

const lab = labs.find((l) => l.id === 'reachability/linear-syn-retries')!;
const mine = checkRun(lab, readRecording(lab.id)!);
const kernel = (name: string, release: string, syns: number, gap: number): KernelSummary => ({
  name,
  release,
  accel: 'tcg',
  primary: false,
  recordedAt: '2026-12-05T00:00:00Z',
  labs: [
    {
      id: lab.id,
      status: 'ran',
      exitCode: 0,
      claims: mine.claims.map((c) => ({
        ...c,
        observed: c.id === 'syns' ? syns : c.id === 'linear' ? gap : c.observed,
      })),
    },
  ],
});

describe('comparison', () => {
  const text = comparison(lab, mine, [
    kernel('6.1', '6.1.0-57-amd64', 3, 2.04),
    kernel('6.12', '6.12.118+deb12-amd64', 6, 1.02),
  ]);

  it("sets each claim's value beside each kernel's", () => {
    expect(text).toMatch(/^\s+syns\s+6\s+3\s+6\s*$/m);
  });

  it('names the kernel whose expectations every value meets, not the one with most identical numbers', () => {
    expect(text).toMatch(/behaves like 6\.12 \(6\.12\.118\+deb12-amd64\) here: all 5/);
  });

  it('says when no kernel explains every value', () => {
    const odd = {
      ...mine,
      claims: mine.claims.map((c) => (c.id === 'syns' ? { ...c, observed: 9 } : c)),
    };
    expect(comparison(lab, odd, [kernel('6.1', '6.1.0-57-amd64', 3, 2.04)])).toMatch(
      /No recorded kernel explains every value; closest is 6\.1/,
    );
  });
});
