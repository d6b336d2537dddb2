/** Element ids unique within a build, deterministic across builds (unlike Math.random). */
let counter = 0;

/** A fresh id such as `ladder-3`, for aria-labelledby and SVG marker references. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}
