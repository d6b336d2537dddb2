/** Small formatters shared by the lab components. */

/** A recorded value as a reader expects it: strings bare, everything else as compact JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '(absent)';
  return JSON.stringify(value);
}

/** A short human duration for wall and timer times: `850 ms`, `1.02 s`, `61.0 s`. */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Number((seconds * 1000).toPrecision(3))} ms`;
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  return `${seconds.toFixed(1)} s`;
}
