/**
 * The drawing primitives the concept diagrams share: boxes, text and arrows in the units of one
 * SVG viewBox, plus the geometry helpers their layouts and tests use (text width estimate,
 * bounding boxes, arrowheads, overlap checks). Layouts are pure functions of small data, so
 * tests check the geometry without a browser; Diagram.astro draws the shapes.
 */

/** Colour family of a shape; Diagram.astro maps each to Starlight's colour variables. */
export type Tone = 'plain' | 'muted' | 'accent' | 'green' | 'orange' | 'red' | 'purple';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface BoxShape extends Rect {
  kind: 'box';
  tone: Tone;
  /** A drawn outline only (a container), not a filled box. */
  frame?: boolean;
  dashed?: boolean;
  /** Thicker outline: a highlighted box. */
  strong?: boolean;
  /** Fully rounded ends: a badge. */
  round?: boolean;
  /** Names the box for tests and for the text alternative. */
  key?: string;
}

/**
 * Text: `lines` are drawn one under the other from the baseline `y`. A span in backticks
 * (`` `ss -lnt` ``) is set in the monospace font.
 */
export interface TextShape {
  kind: 'text';
  x: number;
  y: number;
  lines: string[];
  size: number;
  anchor: 'start' | 'middle' | 'end';
  tone: Tone;
  bold?: boolean;
  key?: string;
}

/**
 * A line with an arrowhead at its end (and optionally its start). `points` is a polyline, or
 * with `curve` three points: start, quadratic control point, end.
 */
export interface ArrowShape {
  kind: 'arrow';
  points: Point[];
  tone: Tone;
  dashed?: boolean;
  curve?: boolean;
  heads: 'end' | 'both' | 'none';
  key?: string;
}

export type Point = [number, number];
export type Shape = BoxShape | TextShape | ArrowShape;

/** One complete picture: the viewBox size and what is in it. */
export interface Drawing {
  width: number;
  height: number;
  shapes: Shape[];
}

/** The smallest font size any diagram uses, in viewBox units (a unit is a CSS pixel at scale 1). */
export const MIN_FONT = 12;
/** Line height as a multiple of the font size. */
export const LINE = 1.3;
/** Arrowhead length and half-width. */
const HEAD_LEN = 8;
const HEAD_HALF = 4;

/** A line split into runs of plain and code text: "a `b` c" gives three runs. */
export function textRuns(line: string): Array<{ text: string; code: boolean }> {
  return line
    .split('`')
    .map((text, i) => ({ text, code: i % 2 === 1 }))
    .filter((r) => r.text !== '');
}

// Advance widths (in em) close to DejaVu Sans, the widest common fallback sans font (Debian's
// chromium uses it), so an estimate that fits here fits with narrower system fonts too.
const NARROW = new Set([..."il.,:;!|'`()[]{}"]);
const SMALL = new Set([...'frtj- /']);
const WIDE = new Set([...'mwMW']);

/** Estimated width of one line of text at `size` (an upper bound for common sans fonts). */
export function textWidth(line: string, size: number, bold = false): number {
  let em = 0;
  for (const run of textRuns(line)) {
    for (const ch of run.text) {
      if (run.code) em += 0.61;
      else if (NARROW.has(ch)) em += 0.34;
      else if (SMALL.has(ch)) em += 0.42;
      else if (WIDE.has(ch)) em += 0.98;
      else if (ch >= 'A' && ch <= 'Z') em += 0.72;
      else if (ch === '=' || ch === '+' || ch === '<' || ch === '>' || ch === '≤') em += 0.84;
      else em += 0.62;
    }
  }
  return em * size * (bold ? 1.08 : 1);
}

/** The box a text shape covers (estimated). */
export function textBounds(t: TextShape): Rect {
  const w = Math.max(...t.lines.map((l) => textWidth(l, t.size, t.bold)));
  const x = t.anchor === 'start' ? t.x : t.anchor === 'middle' ? t.x - w / 2 : t.x - w;
  const top = t.y - t.size * 0.8;
  const h = t.size * 0.8 + (t.lines.length - 1) * t.size * LINE + t.size * 0.25;
  return { x, y: top, w, h };
}

/** The box an arrow covers, arrowheads included. */
export function arrowBounds(a: ArrowShape): Rect {
  const pts = [...arrowSamples(a), ...arrowHeads(a).flat()];
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return {
    x: Math.min(...xs),
    y: Math.min(...ys),
    w: Math.max(...xs) - Math.min(...xs),
    h: Math.max(...ys) - Math.min(...ys),
  };
}

/** The area any shape covers. */
export function bounds(s: Shape): Rect {
  if (s.kind === 'box') return { x: s.x, y: s.y, w: s.w, h: s.h };
  if (s.kind === 'text') return textBounds(s);
  return arrowBounds(s);
}

/** Whether two rectangles overlap by more than `slack` in both directions. */
export function overlaps(a: Rect, b: Rect, slack = 0): boolean {
  return (
    a.x + a.w - slack > b.x &&
    b.x + b.w - slack > a.x &&
    a.y + a.h - slack > b.y &&
    b.y + b.h - slack > a.y
  );
}

/** Whether `inner` lies inside `outer`, allowing `pad` of margin inside the outer edge. */
export function inside(inner: Rect, outer: Rect, pad = 0): boolean {
  return (
    inner.x >= outer.x + pad - 0.01 &&
    inner.y >= outer.y + pad - 0.01 &&
    inner.x + inner.w <= outer.x + outer.w - pad + 0.01 &&
    inner.y + inner.h <= outer.y + outer.h - pad + 0.01
  );
}

/** The triangle of an arrowhead pointing from `from` to `tip`. */
function head(from: Point, tip: Point): Point[] {
  const dx = tip[0] - from[0];
  const dy = tip[1] - from[1];
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len;
  const uy = dy / len;
  const bx = tip[0] - ux * HEAD_LEN;
  const by = tip[1] - uy * HEAD_LEN;
  return [
    tip,
    [bx - uy * HEAD_HALF, by + ux * HEAD_HALF],
    [bx + uy * HEAD_HALF, by - ux * HEAD_HALF],
  ];
}

/** The arrowhead triangles of an arrow: one at the end, one at the start when `heads` is both. */
export function arrowHeads(a: ArrowShape): Point[][] {
  const p = a.points;
  if (a.heads === 'none' || p.length < 2) return [];
  const heads = [head(p[p.length - 2]!, p[p.length - 1]!)];
  if (a.heads === 'both') heads.push(head(p[1]!, p[0]!));
  return heads;
}

/**
 * The SVG path of an arrow's line, stopped short of each arrowhead so a dashed or thick line
 * does not poke through the tip.
 */
export function arrowPath(a: ArrowShape): string {
  const p = a.points.map((q) => [...q] as Point);
  const pull = (tip: Point, from: Point) => {
    const len = Math.hypot(tip[0] - from[0], tip[1] - from[1]) || 1;
    const k = Math.min(HEAD_LEN - 1, len / 2) / len;
    tip[0] -= (tip[0] - from[0]) * k;
    tip[1] -= (tip[1] - from[1]) * k;
  };
  const n = p.length;
  if (a.heads !== 'none') pull(p[n - 1]!, p[n - 2]!);
  if (a.heads === 'both') pull(p[0]!, p[1]!);
  const f = (q: Point) => `${round(q[0])} ${round(q[1])}`;
  if (a.curve && n === 3) return `M${f(p[0]!)} Q${f(p[1]!)} ${f(p[2]!)}`;
  return `M${p.map(f).join(' L')}`;
}

/** Points of an arrowhead as an SVG `points` attribute. */
export function pointsAttr(pts: Point[]): string {
  return pts.map((q) => `${round(q[0])},${round(q[1])}`).join(' ');
}

const round = (v: number) => Math.round(v * 10) / 10;

/** The point on a rectangle's edge: side n/s/e/w, `at` from -1 (left/top end) to 1. */
export function anchor(r: Rect, side: 'n' | 's' | 'e' | 'w', at = 0): Point {
  const cx = r.x + r.w / 2 + (at * r.w) / 2;
  const cy = r.y + r.h / 2 + (at * r.h) / 2;
  if (side === 'n') return [cx, r.y];
  if (side === 's') return [cx, r.y + r.h];
  if (side === 'e') return [r.x + r.w, cy];
  return [r.x, cy];
}

/** Drawing order: boxes, then arrows over them, then badges over arrows, then all text. */
export function layer(s: Shape): number {
  if (s.kind === 'box') return s.round ? 2 : 0;
  return s.kind === 'arrow' ? 1 : 3;
}

/** Shorthands that keep layouts readable. */
export const box = (r: Rect, tone: Tone, extra: Partial<BoxShape> = {}): BoxShape => ({
  kind: 'box',
  ...r,
  tone,
  ...extra,
});

export const text = (
  x: number,
  y: number,
  lines: string | string[],
  size: number,
  extra: Partial<TextShape> = {},
): TextShape => ({
  kind: 'text',
  x,
  y,
  lines: Array.isArray(lines) ? lines : [lines],
  size,
  anchor: 'start',
  tone: 'plain',
  ...extra,
});

export const arrow = (
  points: Point[],
  tone: Tone,
  extra: Partial<ArrowShape> = {},
): ArrowShape => ({
  kind: 'arrow',
  points,
  tone,
  heads: 'end',
  ...extra,
});

/**
 * Problems a drawing should never have, as sentences (empty when none): shapes outside the
 * viewBox, text smaller than MIN_FONT, text that overlaps other text, text that crosses a box
 * edge (text must lie wholly inside or wholly outside each box), arrows through text.
 */
export function drawingProblems(d: Drawing): string[] {
  const problems: string[] = [];
  const view: Rect = { x: 0, y: 0, w: d.width, h: d.height };
  const texts = d.shapes.filter((s): s is TextShape => s.kind === 'text');
  const boxes = d.shapes.filter((s): s is BoxShape => s.kind === 'box');
  const name = (t: TextShape) => `"${t.lines.join(' ')}"`;
  for (const s of d.shapes) {
    if (!inside(bounds(s), view)) problems.push(`${s.kind} ${s.key ?? ''} leaves the viewBox`);
  }
  for (const t of texts) {
    if (t.size < MIN_FONT) problems.push(`${name(t)} is smaller than ${MIN_FONT}`);
    const tb = textBounds(t);
    for (const b of boxes) {
      if (overlaps(tb, b) && !inside(tb, b, 1))
        problems.push(`${name(t)} crosses box ${b.key ?? ''}`);
    }
  }
  texts.forEach((a, i) => {
    for (const b of texts.slice(i + 1)) {
      if (overlaps(textBounds(a), textBounds(b))) problems.push(`${name(a)} overlaps ${name(b)}`);
    }
  });
  // A badge sits on its arrow on purpose: it is drawn over it, and so is its number.
  const badges = boxes.filter((b) => b.round);
  for (const b of badges) {
    for (const o of boxes) {
      if (o !== b && !o.frame && overlaps(b, o))
        problems.push(`badge ${b.key ?? ''} overlaps box ${o.key ?? ''}`);
    }
  }
  for (const a of d.shapes.filter((s): s is ArrowShape => s.kind === 'arrow')) {
    const pts = arrowSamples(a);
    for (const t of texts) {
      const tb = textBounds(t);
      if (badges.some((b) => inside(tb, b))) continue;
      if (pts.some((p) => inside({ x: p[0], y: p[1], w: 0, h: 0 }, tb, 1))) {
        problems.push(`arrow ${a.key ?? ''} runs through ${name(t)}`);
      }
    }
  }
  return problems;
}

/** Points along an arrow's line every few units, for collision checks. */
export function arrowSamples(a: ArrowShape): Point[] {
  const p = a.points;
  const out: Point[] = [];
  if (a.curve && p.length === 3) {
    for (let i = 0; i <= 40; i++) {
      const t = i / 40;
      const u = 1 - t;
      out.push([
        u * u * p[0]![0] + 2 * u * t * p[1]![0] + t * t * p[2]![0],
        u * u * p[0]![1] + 2 * u * t * p[1]![1] + t * t * p[2]![1],
      ]);
    }
    return out;
  }
  for (let i = 1; i < p.length; i++) {
    const [a0, a1] = [p[i - 1]!, p[i]!];
    const n = Math.max(1, Math.ceil(Math.hypot(a1[0] - a0[0], a1[1] - a0[1]) / 3));
    for (let k = 0; k <= n; k++) {
      out.push([a0[0] + ((a1[0] - a0[0]) * k) / n, a0[1] + ((a1[1] - a0[1]) * k) / n]);
    }
  }
  return out;
}
