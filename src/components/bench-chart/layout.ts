/**
 * Pure layout of the epoll chapter's benchmark chart: one line per waiting method over the number
 * of watched sockets N, on log–log axes. No DOM, no Astro: BenchChart.astro only draws what this
 * returns, and the unit tests check it directly.
 *
 * Design limits:
 *  - Both axes are logarithmic (N spans 3 to 10000, costs span four decades); ticks sit on whole
 *    decades of the data's range, so a value is never drawn outside the plot.
 *  - A method that could not run at some N (select beyond FD_SETSIZE) has no point there: its
 *    line stops at the last N it ran and gets an end marker with the reason, never a made-up value.
 *  - Lines are told apart by dash pattern and marker shape as well as colour, so the chart still
 *    reads in greyscale; each line is labelled in the right-hand gutter at its last point's height
 *    (with a dashed leader when it stops early), not through a separate legend.
 */

/** One cell of the recorded table (the fields the chart needs). */
export interface BenchCell {
  n: number;
  method: string;
  supported: boolean;
  reason?: string;
  cpuUsPerMsg: number | null;
  syscallsPerMsg: number | null;
}

export type BenchMetric = 'cpuUsPerMsg' | 'syscallsPerMsg';

export interface ChartOptions {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
}

export const defaultChartOptions: ChartOptions = {
  width: 640,
  height: 360,
  margin: { top: 16, right: 112, bottom: 48, left: 64 },
};

export interface ChartPoint {
  n: number;
  value: number;
  x: number;
  y: number;
}

export interface ChartSeries {
  method: string;
  points: ChartPoint[];
  /** SVG path data through the points, in order of N. */
  path: string;
  /** N values the method could not run at, with the reason. */
  missing: Array<{ n: number; reason: string }>;
  /**
   * Where the label goes: in the right-hand gutter at the height of the last point, nudged apart
   * from the other labels, so no label sits on another line.
   */
  label: { x: number; y: number };
  /** From the last point to the label, for a line that stops before the right edge. */
  leader?: { x1: number; y1: number; x2: number; y2: number };
}

export interface ChartTick {
  value: number;
  /** Position along its axis (x for N ticks, y for value ticks). */
  at: number;
  label: string;
}

export interface ChartLayout {
  width: number;
  height: number;
  plot: { x: number; y: number; width: number; height: number };
  xTicks: ChartTick[];
  yTicks: ChartTick[];
  series: ChartSeries[];
}

/** Decade bounds [10^a, 10^b] that contain every value (values must be > 0). */
export function decadeRange(values: number[]): [number, number] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [1, 10];
  const lo = Math.floor(Math.log10(Math.min(...positive)));
  let hi = Math.ceil(Math.log10(Math.max(...positive)));
  if (hi === lo) hi = lo + 1;
  return [10 ** lo, 10 ** hi];
}

/** Compact tick labels: 1, 10, 100, 1k, 10k, 0.1. */
export function formatTick(v: number): string {
  if (v >= 1000) return `${v / 1000}k`;
  return String(Number(v.toPrecision(3)));
}

/** Spreads label y positions so no two are closer than `gap`, keeping their order. */
export function spreadLabels(ys: number[], gap: number, min: number, max: number): number[] {
  const order = ys.map((y, i) => ({ y, i })).sort((a, b) => a.y - b.y);
  const out = new Array<number>(ys.length);
  let prev = -Infinity;
  for (const { y, i } of order) {
    const placed = Math.max(y, prev + gap);
    out[i] = placed;
    prev = placed;
  }
  // If the last label ran past the bottom, shift the whole stack up.
  const overflow = Math.max(0, Math.max(...out) - max);
  return out.map((y) => Math.max(min, y - overflow));
}

/** Lays out one metric of the recorded cells; methods keep the order given. */
export function layoutChart(
  cells: BenchCell[],
  metric: BenchMetric,
  methods: string[],
  options: ChartOptions = defaultChartOptions,
): ChartLayout {
  const { width, height, margin } = options;
  const plot = {
    x: margin.left,
    y: margin.top,
    width: width - margin.left - margin.right,
    height: height - margin.top - margin.bottom,
  };
  const usable = cells.filter(
    (c) => c.supported && typeof c[metric] === 'number' && (c[metric] as number) > 0,
  );
  const ns = [...new Set(cells.map((c) => c.n))].sort((a, b) => a - b);
  const [xLo, xHi] = decadeRange(ns);
  const [yLo, yHi] = decadeRange(usable.map((c) => c[metric] as number));
  const xOf = (n: number) =>
    plot.x + ((Math.log10(n) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * plot.width;
  const yOf = (v: number) =>
    plot.y +
    plot.height -
    ((Math.log10(v) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * plot.height;
  const round1 = (x: number) => Math.round(x * 10) / 10;

  const decades = (lo: number, hi: number) => {
    const out: number[] = [];
    for (let e = Math.round(Math.log10(lo)); e <= Math.round(Math.log10(hi)); e++)
      out.push(10 ** e);
    return out;
  };
  const xTicks = decades(xLo, xHi).map((v) => ({
    value: v,
    at: round1(xOf(v)),
    label: formatTick(v),
  }));
  const yTicks = decades(yLo, yHi).map((v) => ({
    value: v,
    at: round1(yOf(v)),
    label: formatTick(v),
  }));

  const series = methods.map((method) => {
    const mine = cells.filter((c) => c.method === method).sort((a, b) => a.n - b.n);
    const points = mine
      .filter((c) => usable.includes(c))
      .map((c) => ({
        n: c.n,
        value: c[metric] as number,
        x: round1(xOf(c.n)),
        y: round1(yOf(c[metric] as number)),
      }));
    const missing = mine
      .filter((c) => !usable.includes(c))
      .map((c) => ({ n: c.n, reason: c.reason ?? 'no value recorded' }));
    const path = points.map((p, i) => `${i ? 'L' : 'M'}${p.x} ${p.y}`).join(' ');
    const last = points.at(-1);
    return {
      method,
      points,
      path,
      missing,
      label: { x: plot.x + plot.width + 8, y: last?.y ?? plot.y },
      last,
    };
  });
  const spread = spreadLabels(
    series.map((s) => s.label.y),
    14,
    plot.y + 4,
    plot.y + plot.height,
  );
  const laidOut = series.map(({ last, ...s }, i): ChartSeries => {
    const label = { x: s.label.x, y: round1(spread[i]!) };
    const stopsEarly = last !== undefined && last.x < plot.x + plot.width - 1;
    return {
      ...s,
      label,
      ...(stopsEarly
        ? { leader: { x1: last.x + 6, y1: last.y, x2: label.x - 4, y2: label.y } }
        : {}),
    };
  });
  return { width, height, plot, xTicks, yTicks, series: laidOut };
}

/**
 * The smallest N at which `method` costs at least `ratio` times `baseline` on a metric, or
 * undefined if it never does (or never ran alongside the baseline). Used for the chart's caption,
 * so the chapter states where a difference appears from the recording, never from memory.
 */
export function firstNAtRatio(
  cells: BenchCell[],
  metric: BenchMetric,
  method: string,
  baseline: string,
  ratio: number,
): number | undefined {
  const ns = [...new Set(cells.map((c) => c.n))].sort((a, b) => a - b);
  for (const n of ns) {
    const m = cells.find((c) => c.n === n && c.method === method);
    const b = cells.find((c) => c.n === n && c.method === baseline);
    const mv = m?.supported ? m[metric] : null;
    const bv = b?.supported ? b[metric] : null;
    if (typeof mv === 'number' && typeof bv === 'number' && bv > 0 && mv >= ratio * bv) return n;
  }
  return undefined;
}
