/**
 * Pure layout of a state timeline: the socket states a lab sampled (events with a string `state`
 * field), one track per socket, as spans between the moments a state changed. Columns are the
 * distinct change times, evenly ordered rather than to scale, because a run mixes sub-millisecond
 * transitions with timers of seconds (the packet ladder makes the same choice); each column is as
 * wide as the state names drawn across it need.
 *
 * Every track ends with its final state, drawn past the last change into a tail: open-ended (the
 * socket was still in it when the lab stopped looking) and labelled with the timer `ss` reported
 * for it, e.g. `TIME-WAIT (timer: 60 s left)`. That last state is often the point of the lab.
 *
 * Tracks: one per host, or per socket of a host when events carry `i`, `sport` or `fd`; a host
 * whose samples name several local ports (`local`) gets one track per port, and its events
 * without a port join the track they continue (or are only listed in the table). At most
 * `maxColumns` change times are drawn: the first ones and every track's final change; the others
 * are listed in the table only.
 */
import type { LabEvent } from '../../../labs/_lib/types.ts';

/** One state held by one socket from `from` (a column index) up to, not including, `to`. */
export interface TimelineSpan {
  state: string;
  from: number;
  /** For the final state of a track: the number of columns (it runs on into the tail). */
  to: number;
  /** Seconds since the scenario started when the state was first seen. */
  t: number;
  /** Colour family: `opening`, `established`, `closing`, `waiting`, `closed`. */
  kind: StateKind;
  /** The track's last state: drawn into the tail, open-ended unless the socket is gone. */
  final: boolean;
  /** What the bar says: the state, and for a final state its timer, e.g. `(timer: 60 s left)`. */
  label: string;
}

/** One socket's row. */
export interface TimelineTrack {
  label: string;
  spans: TimelineSpan[];
}

/** Tunable geometry, in SVG user units (px). */
export interface TimelineOptions {
  maxColumns: number;
  /** Estimated advance of one character of the 11px monospace labels. */
  charWidth: number;
  rowHeight: number;
  top: number;
  /** Least room after the last change for the final states. */
  tailMin: number;
  /** Least width of a column. */
  columnMin: number;
  /** Extra header height when tick labels take two lines. */
  tickLine: number;
}

export const defaultTimelineOptions: TimelineOptions = {
  maxColumns: 40,
  charWidth: 6.7,
  rowHeight: 34,
  top: 30,
  tailMin: 40,
  columnMin: 34,
  tickLine: 13,
};

/** The whole timeline: column times, the tracks, and where everything goes. */
export interface Timeline {
  /** Time (s) at which each column starts. */
  columns: number[];
  /** Tick labels for the columns, with as many decimals as it takes to tell neighbours apart. */
  ticks: string[];
  /** Line of each tick label: 0, or 1 (lower) when neighbouring labels alternate to save width. */
  tickRows: number[];
  tracks: TimelineTrack[];
  /** Every state change, in time order, for the text alternative. */
  samples: Array<{ t: number; track: string; state: string; detail: string }>;
  /** x of each column's start, then of the tail's start and of its end (`columns.length + 2` values). */
  x: number[];
  labelWidth: number;
  width: number;
  height: number;
  rowHeight: number;
  top: number;
  /** Change times not drawn (beyond `maxColumns`); their samples are in the table. */
  hidden: number;
}

export type StateKind = 'opening' | 'established' | 'closing' | 'waiting' | 'closed';

/** Colour family of a state as `ss` names it (ESTAB, FIN-WAIT-1, ...) or GONE. */
export function stateKind(state: string): StateKind {
  const s = state.toUpperCase().replace(/_/g, '-');
  if (s.startsWith('ESTAB')) return 'established';
  if (s.startsWith('SYN') || s === 'LISTEN') return 'opening';
  if (s === 'CLOSE-WAIT' || s === 'TIME-WAIT') return 'waiting';
  if (s.startsWith('FIN-WAIT') || s === 'CLOSING' || s === 'LAST-ACK') return 'closing';
  return 'closed';
}

/** `60 s`, `204 ms`, `1.5 s`: a timer's remaining time as `ss` reported it in milliseconds. */
export function formatTimer(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : Number(s.toPrecision(3))} s`;
}

/** `(timer: 60 s left)` from a sample's `timer`/`expiresMs`, or '' when no timer was running. */
export function timerText(e: LabEvent | undefined): string {
  if (!e || typeof e.timer !== 'string' || e.timer === 'off') return '';
  if (typeof e.expiresMs !== 'number') return `(${e.timer} timer)`;
  return `(timer: ${formatTimer(e.expiresMs)} left)`;
}

const socketOf = (e: LabEvent) => e.i ?? e.sport ?? e.fd;
const hostKey = (e: LabEvent) => {
  const which = socketOf(e);
  return which === undefined ? e.host : `${e.host} #${String(which)}`;
};

// Fields that are already shown (or are bookkeeping) and would only clutter the table's detail.
const hidden = new Set(['t', 'host', 'event', 'state', 'i']);

/**
 * Samples grouped into tracks. A host whose samples name two or more `local` ports is split by
 * port; its samples without one join the track whose next sample has the same state (the nearest
 * such), else the one already in that state, else no track.
 */
function tracksOf(sampled: LabEvent[]): Map<string, LabEvent[]> {
  const byKey = new Map<string, LabEvent[]>();
  for (const e of sampled) byKey.set(hostKey(e), [...(byKey.get(hostKey(e)) ?? []), e]);
  const out = new Map<string, LabEvent[]>();
  for (const [key, list] of byKey) {
    const locals = [...new Set(list.map((e) => e.local).filter((l) => l !== undefined))];
    if (locals.length < 2) {
      out.set(key, list);
      continue;
    }
    const split = new Map(locals.map((l) => [l, list.filter((e) => e.local === l)]));
    const assigned = new Map(locals.map((l) => [l, [...split.get(l)!]]));
    for (const e of list) {
      if (e.local !== undefined) continue;
      const next = locals
        .map((l) => ({ l, n: split.get(l)!.find((s) => s.t >= e.t) }))
        .filter((c) => c.n?.state === e.state)
        .sort((a, b) => a.n!.t - b.n!.t)[0];
      const current = locals.filter(
        (l) => split.get(l)!.findLast((s) => s.t <= e.t)?.state === e.state,
      );
      const home = next?.l ?? (current.length === 1 ? current[0] : undefined);
      if (home !== undefined) assigned.get(home)!.push(e);
    }
    for (const l of locals)
      out.set(
        typeof l === 'string' && l.includes(':') ? `${key} ${l}` : `${key} :${String(l)}`,
        assigned.get(l)!.sort((a, b) => a.t - b.t),
      );
  }
  return out;
}

/** Decimals (3 to 6) that tell every pair of neighbouring times apart. */
function tickDecimals(times: number[]): number {
  for (let d = 3; d < 6; d++) {
    const s = times.map((t) => t.toFixed(d));
    if (s.every((x, i) => i === 0 || x !== s[i - 1])) return d;
  }
  return 6;
}

/** The timeline of `events`, or undefined when no socket was seen in two different states. */
export function layoutTimeline(
  events: LabEvent[],
  options: Partial<TimelineOptions> = {},
): Timeline | undefined {
  const o = { ...defaultTimelineOptions, ...options };
  const sampled = events.filter((e) => typeof e.state === 'string').sort((a, b) => a.t - b.t);
  const byTrack = tracksOf(sampled);
  const changes = new Map<string, LabEvent[]>();
  for (const [key, list] of byTrack) {
    changes.set(
      key,
      list.filter((e, i) => i === 0 || e.state !== list[i - 1]!.state),
    );
  }
  if (![...changes.values()].some((list) => list.length > 1)) return undefined;

  // Every track's final change stays drawn; the first other ones fill up to maxColumns.
  const all = [...new Set([...changes.values()].flat().map((e) => e.t))].sort((a, b) => a - b);
  const finals = new Set([...changes.values()].map((list) => list.at(-1)!.t));
  const room = Math.max(0, o.maxColumns - finals.size);
  const times = all.filter((t) => finals.has(t) || all.indexOf(t) < room).slice(0, o.maxColumns);
  const column = (t: number) => times.indexOf(t);
  const n = times.length;

  const tracks: TimelineTrack[] = [...changes].map(([label, list]) => {
    const drawn = list.filter((e) => column(e.t) !== -1);
    return {
      label,
      spans: drawn.map((e, i) => {
        const state = String(e.state);
        const final = i === drawn.length - 1;
        // The latest sample of the final state: the timer as last seen.
        const lastSample = byTrack.get(label)!.findLast((s) => s.state === e.state && s.t >= e.t);
        const timer = final ? timerText(lastSample) : '';
        return {
          state,
          t: e.t,
          from: column(e.t),
          to: final ? n : column(drawn[i + 1]!.t),
          kind: stateKind(state),
          final,
          label: timer ? `${state} ${timer}` : state,
        };
      }),
    };
  });
  const samples = [...changes].flatMap(([track, list]) =>
    list.map((e) => ({
      t: e.t,
      track,
      state: String(e.state),
      detail: Object.entries(e)
        .filter(([k]) => !hidden.has(k))
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' '),
    })),
  );
  samples.sort((a, b) => a.t - b.t);

  // Widths: each bar holds its own label (a final bar may use the tail, column n); each column
  // holds its tick label, or, where that would widen the drawing, tick labels alternate between
  // two lines and each may use its neighbour's width too.
  const decimals = tickDecimals(times);
  const ticks = times.map((t) => `${t.toFixed(decimals)} s`);
  const tickWidth = (i: number) => ticks[i]!.length * o.charWidth + 8;
  const bars = tracks.flatMap((tr) =>
    tr.spans.map((s) => ({
      a: s.from,
      b: s.final ? n + 1 : s.to,
      need: s.label.length * o.charWidth + 16,
    })),
  );
  const solve = (needs: Array<{ a: number; b: number; need: number }>) => {
    const widths = [...times.map(() => o.columnMin), o.tailMin];
    for (const { a, b, need } of [...needs].sort((x, y) => x.b - x.a - (y.b - y.a))) {
      const have = widths.slice(a, b).reduce((s, w) => s + w, 0);
      if (have < need) for (let i = a; i < b; i++) widths[i]! += (need - have) / (b - a);
    }
    return widths;
  };
  const oneLine = solve([
    ...bars,
    ...times.map((_, i) => ({ a: i, b: i + 1, need: tickWidth(i) })),
  ]);
  const twoLines = solve([
    ...bars,
    ...times.map((_, i) => ({ a: i, b: Math.min(i + 2, n + 1), need: tickWidth(i) })),
  ]);
  const sum = (w: number[]) => w.reduce((s, x) => s + x, 0);
  const stagger = sum(twoLines) < sum(oneLine) - 1;
  const widths = stagger ? twoLines : oneLine;
  const top = o.top + (stagger ? o.tickLine : 0);
  const labelWidth = Math.ceil(
    Math.max(60, ...tracks.map((tr) => tr.label.length * (o.charWidth + 0.6) + 14)),
  );
  const x = [labelWidth];
  for (const w of widths) x.push(Math.round(x.at(-1)! + w));
  return {
    columns: times,
    ticks,
    tracks,
    samples,
    x,
    labelWidth,
    width: x.at(-1)! + 8,
    height: top + tracks.length * o.rowHeight + 6,
    rowHeight: o.rowHeight,
    top,
    tickRows: ticks.map((_, i) => (stagger ? i % 2 : 0)),
    hidden: all.length - n,
  };
}
