import { describe, expect, it } from 'vitest';
import { describeExpectation, holds, verdict } from '../../labs/_lib/claims.ts';
import type { Claim, Expectation, LabRun } from '../../labs/_lib/types.ts';

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
  it('accepts a matching value', () => expect(holds(expectation, passing)).toBe(true));
  it('rejects a non-matching value', () => expect(holds(expectation, failing)).toBe(false));
});

describe('verdict', () => {
  const run = { facts: { rtt: 0.0001, state: 'ESTAB' } } as unknown as LabRun;

  it('reads a named fact', () => {
    const claim: Claim = { id: 'c', says: 's', fact: 'state', expect: { equals: 'ESTAB' } };
    expect(verdict(claim, run)).toMatchObject({ observed: 'ESTAB', holds: true });
  });

  it('computes an observed value and a verdict', () => {
    const claim: Claim = {
      id: 'c',
      says: 's',
      observe: (r) => r.facts.rtt,
      expect: { atMost: 0.001 },
    };
    const v = verdict(claim, run);
    expect([v.holds, v.observed, v.expected]).toEqual([true, 0.0001, 'at most 0.001']);
  });

  it('fails a fact the run did not record, showing it absent', () => {
    const claim: Claim = { id: 'c', says: 's', fact: 'mss', expect: { equals: 1460 } };
    expect(verdict(claim, run)).toMatchObject({ observed: undefined, holds: false });
  });

  it('turns a throwing observe into a visible failure, not a crash', () => {
    const claim: Claim = {
      id: 'c',
      says: 's',
      observe: () => {
        throw new Error('no SYN captured');
      },
      expect: { equals: 1 },
    };
    expect(verdict(claim, run)).toMatchObject({ holds: false, error: 'no SYN captured' });
  });
});

describe('a claim whose expectation changed in a kernel release', () => {
  const claim: Claim = {
    id: 'syns',
    says: 's',
    fact: 'syns',
    expect: { equals: 6 },
    kernel: { since: '6.5', before: { equals: 3 }, change: 'tcp_syn_linear_timeouts' },
  };
  const on = (release: string, syns: number) =>
    verdict(claim, { kernel: { release }, facts: { syns } } as unknown as LabRun);

  it.each([
    ['6.18.44-fc-v1252', 6, true, false],
    ['6.5.0', 6, true, false],
    ['6.12.57+deb13-amd64', 3, false, false],
    ['6.1.0-57-amd64', 3, true, true],
    ['6.1.0-57-amd64', 6, false, true],
    ['5.15.0-91-generic', 3, true, true],
  ])('on %s observing %i: holds %s (before the change: %s)', (release, syns, held, before) => {
    expect(on(release, syns)).toMatchObject({ holds: held, beforeChange: before });
  });
});
