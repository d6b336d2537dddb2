import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../labs/epoll/_bench.ts';
import {
  decadeRange,
  defaultChartOptions,
  firstNAtRatio,
  formatTick,
  layoutChart,
  spreadLabels,
  type BenchCell,
} from '../../src/components/bench-chart/layout.ts';

// The committed recording the chapter's chart is drawn from.
const bench: BenchResult = JSON.parse(
  readFileSync(new URL('../../labs/epoll/recorded/bench/bench.json', import.meta.url), 'utf8'),
);
const cells = bench.rows as unknown as BenchCell[];

/** A tiny hand-made table: two methods, one of which stops early. */
const small: BenchCell[] = [
  { n: 3, method: 'a', supported: true, cpuUsPerMsg: 2, syscallsPerMsg: 3 },
  { n: 100, method: 'a', supported: true, cpuUsPerMsg: 20, syscallsPerMsg: 3 },
  { n: 10000, method: 'a', supported: true, cpuUsPerMsg: 200, syscallsPerMsg: 3 },
  { n: 3, method: 'b', supported: true, cpuUsPerMsg: 1, syscallsPerMsg: 3 },
  {
    n: 100,
    method: 'b',
    supported: false,
    reason: 'too many',
    cpuUsPerMsg: null,
    syscallsPerMsg: null,
  },
  {
    n: 10000,
    method: 'b',
    supported: false,
    reason: 'too many',
    cpuUsPerMsg: null,
    syscallsPerMsg: null,
  },
];

describe('decadeRange', () => {
  it.each([
    [
      [3, 10000],
      [1, 10000],
    ],
    [
      [7.6, 5477],
      [1, 10000],
    ],
    [
      [3, 3],
      [1, 10],
    ],
    [
      [0.5, 20],
      [0.1, 100],
    ],
    [[], [1, 10]],
  ])('bounds %j by whole decades %j', (values, expected) => {
    expect(decadeRange(values)).toEqual(expected);
  });
});

describe('formatTick', () => {
  it.each([
    [1, '1'],
    [10, '10'],
    [1000, '1k'],
    [10000, '10k'],
    [0.1, '0.1'],
  ])('prints %d as %s', (v, s) => {
    expect(formatTick(v)).toBe(s);
  });
});

describe('spreadLabels', () => {
  it('keeps labels at least the gap apart, in their original order', () => {
    const out = spreadLabels([100, 102, 101, 300], 14, 0, 400);
    expect(out[0]).toBe(100);
    expect(out[2]).toBe(114);
    expect(out[1]).toBe(128);
    expect(out[3]).toBe(300);
  });

  it('shifts the stack up when the last label would leave the plot', () => {
    expect(spreadLabels([395, 396], 14, 0, 400)).toEqual([386, 400]);
  });
});

describe('layoutChart', () => {
  const layout = layoutChart(small, 'cpuUsPerMsg', ['a', 'b']);
  const { plot } = layout;

  it('returns one series per method, in the order given', () => {
    expect(layout.series.map((s) => s.method)).toEqual(['a', 'b']);
  });

  it('puts N on a log axis: equal ratios are equal distances', () => {
    const [p3, p100, p10000] = layout.series[0]!.points;
    expect(p3!.x).toBeCloseTo(plot.x + plot.width * (Math.log10(3) / 4), 0);
    expect(p10000!.x - p100!.x).toBeCloseTo(plot.width / 2, 0);
  });

  it('draws larger costs higher, inside the plot', () => {
    const ys = layout.series[0]!.points.map((p) => p.y);
    expect(ys).toEqual([...ys].sort((a, b) => b - a));
    for (const p of layout.series.flatMap((s) => s.points)) {
      expect(p.y).toBeGreaterThanOrEqual(plot.y);
      expect(p.y).toBeLessThanOrEqual(plot.y + plot.height);
    }
  });

  it('leaves out the N a method could not run at, naming the reason, instead of inventing a value', () => {
    const b = layout.series[1]!;
    expect(b.points.map((p) => p.n)).toEqual([3]);
    expect(b.missing).toEqual([
      { n: 100, reason: 'too many' },
      { n: 10000, reason: 'too many' },
    ]);
    expect(b.path).toBe(`M${b.points[0]!.x} ${b.points[0]!.y}`);
  });

  it('labels every line in the right-hand gutter, with a leader from a line that stops early', () => {
    const layout = layoutChart(small, 'cpuUsPerMsg', ['a', 'b']);
    const gutter = layout.plot.x + layout.plot.width + 8;
    expect(layout.series.map((s) => s.label.x)).toEqual([gutter, gutter]);
    const [a, b] = layout.series;
    expect(a!.leader).toBeUndefined();
    expect(b!.leader).toMatchObject({ x2: gutter - 4, y2: b!.label.y });
    expect(b!.leader!.x1).toBeGreaterThan(b!.points.at(-1)!.x);
  });

  it('ticks every decade of both ranges', () => {
    expect(layout.xTicks.map((t) => t.label)).toEqual(['1', '10', '100', '1k', '10k']);
    expect(layout.yTicks.map((t) => t.label)).toEqual(['1', '10', '100', '1k']);
  });

  it('fits the default canvas', () => {
    expect([layout.width, layout.height]).toEqual([
      defaultChartOptions.width,
      defaultChartOptions.height,
    ]);
  });
});

describe('firstNAtRatio', () => {
  it('finds the first N where a method costs at least the ratio times the baseline', () => {
    expect(firstNAtRatio(small, 'cpuUsPerMsg', 'a', 'b', 2)).toBe(3);
    expect(firstNAtRatio(small, 'cpuUsPerMsg', 'b', 'a', 0.5)).toBe(3);
  });

  it('never compares with a cell that could not run', () => {
    expect(firstNAtRatio(small, 'cpuUsPerMsg', 'a', 'b', 3)).toBeUndefined();
  });
});

describe('the recorded benchmark', () => {
  const by = (n: number, method: string) => cells.find((c) => c.n === n && c.method === method)!;

  it('covers every method at every N', () => {
    expect(bench.ns).toEqual([3, 10, 30, 99, 300, 1000, 3000, 10000]);
    expect(cells).toHaveLength(bench.ns.length * bench.methods.length);
  });

  it('shows select() stopping at FD_SETSIZE, and only there', () => {
    const stopped = cells.filter((c) => !c.supported);
    expect(stopped.map((c) => [c.method, c.n])).toEqual([
      ['select', 3000],
      ['select', 10000],
    ]);
    expect(stopped.every((c) => /FD_SETSIZE 1024/.test(c.reason ?? ''))).toBe(true);
  });

  it('counts three syscalls per message for every waiting method (wait, recv, send echo)', () => {
    for (const c of cells.filter((c) => c.supported && c.method !== 'busy'))
      expect(c.syscallsPerMsg).toBe(3);
  });

  it('counts more recv() calls per message for busy-polling as N grows', () => {
    const busy = bench.ns.map((n) => by(n, 'busy').syscallsPerMsg!);
    expect(busy.at(-1)!).toBeGreaterThan(busy[0]! * 50);
  });

  it('draws a point for every supported cell of each metric', () => {
    for (const metric of ['cpuUsPerMsg', 'syscallsPerMsg'] as const) {
      const l = layoutChart(cells, metric, bench.methods);
      expect(l.series.flatMap((s) => s.points)).toHaveLength(
        cells.filter((c) => c.supported).length,
      );
    }
  });
});
