/**
 * How the tests, the stress script and the benchmark schedule labs: slowest first by their
 * recorded wall time, several at a time, results in the order asked for.
 */
import { describe, expect, it } from 'vitest';
import { median, runEach, slowestFirst } from '../../labs/_lib/subprocess.ts';
import { readRecording } from '../../labs/_lib/recordings.ts';

const recordedMs = (id: string) => readRecording(id)!.wallMs;

describe('slowestFirst', () => {
  const ids = [
    'handshakes/three-way-handshake',
    'reachability/blackhole-syn-timeout',
    'handshakes/accept-queue-overflow',
  ];

  it('orders labs by their recorded wall time, longest first', () => {
    const ordered = slowestFirst(ids);
    expect(ordered.map(recordedMs)).toEqual([...ids.map(recordedMs)].sort((a, b) => b - a));
    expect(ordered[0]).toBe('reachability/blackhole-syn-timeout');
  });

  it('puts a lab without a recording first: its time is unknown', () => {
    expect(slowestFirst([...ids, 'handshakes/not-recorded-yet'])[0]).toBe(
      'handshakes/not-recorded-yet',
    );
  });

  it('does not change the list it is given', () => {
    const copy = [...ids];
    slowestFirst(ids);
    expect(ids).toEqual(copy);
  });
});

describe('runEach', () => {
  it('never runs more than `concurrency` at once and returns results in input order', async () => {
    let running = 0;
    let most = 0;
    const results = await runEach(['a', 'b', 'c', 'd', 'e'], 2, async (id) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, id === 'a' ? 30 : 5));
      running--;
      return id.toUpperCase();
    });
    expect(results).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(most).toBe(2);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
