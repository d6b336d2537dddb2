/** Small formatters shared by the lab components. */
export { show as formatValue } from '../../labs/_lib/claims.ts';

/** A short human duration for wall and timer times: `850 ms`, `1.02 s`, `61.0 s`. */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Number((seconds * 1000).toPrecision(3))} ms`;
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  return `${seconds.toFixed(1)} s`;
}
