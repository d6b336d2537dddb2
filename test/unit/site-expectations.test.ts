import { describe, expect, it } from 'vitest';
import type { Claim, Expectation, LabRun } from '../../labs/_lib/types.ts';
import { checkClaims, describeExpectation, meetsExpectation } from '../../src/lib/expectations.ts';

describe.each<[Expectation, string, unknown, unknown]>([
  [{ equals: 'ESTAB' }, 'equals ESTAB', 'ESTAB', 'LISTEN'],
  [{ equals: ['S', 'S.', '.'] }, 'equals ["S","S.","."]', ['S', 'S.', '.'], ['S', '.']],
  [{ equals: { a: 1, b: 2 } }, 'equals {"a":1,"b":2}', { b: 2, a: 1 }, { a: 1 }],
  [
    { oneOf: ['ECONNREFUSED', 'ETIMEDOUT'] },
    'one of ECONNREFUSED, ETIMEDOUT',
    'ETIMEDOUT',
    'EHOSTUNREACH',
  ],
  [{ between: [0.8, 1.6] }, 'between 0.8 and 1.6', 1.6, 1.7],
  [{ atLeast: 1 }, 'at least 1', 1, 0],
  [{ atMost: 0.05 }, 'at most 0.05', 0.01, '0.01'],
  [{ matches: '^E[A-Z]+$' }, 'matches /^E[A-Z]+$/', 'EPIPE', 'ok'],
])('expectation %j', (expectation, words, passing, failing) => {
  it(`reads "${words}"`, () => expect(describeExpectation(expectation)).toBe(words));
  it('accepts a matching value', () => expect(meetsExpectation(expectation, passing)).toBe(true));
  it('rejects a non-matching value', () =>
    expect(meetsExpectation(expectation, failing)).toBe(false));
});

describe('checkClaims', () => {
  const run = { facts: { rtt: 0.0001 } } as unknown as LabRun;
  const claim = (observe: Claim['observe'], expect: Expectation): Claim => ({
    id: 'c',
    says: 'says',
    observe,
    expect,
  });

  it('reports the observed value and a verdict for each claim', () => {
    const [v] = checkClaims([claim((r) => r.facts.rtt, { atMost: 0.001 })], run);
    expect([v!.pass, v!.observed, v!.expected]).toEqual([true, '0.0001', 'at most 0.001']);
  });

  it('turns a throwing observe into a visible failure, not a crash', () => {
    const [v] = checkClaims(
      [
        claim(
          () => {
            throw new Error('no SYN captured');
          },
          { equals: 1 },
        ),
      ],
      run,
    );
    expect(v!.pass).toBe(false);
    expect(v!.observed).toBe('observe() threw: no SYN captured');
  });
});
