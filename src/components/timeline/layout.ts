/**
 * Pure layout of a state timeline: the socket states a lab sampled (events with a string `state`
 * field), one track per socket, as spans between the moments a state changed. Columns are the
 * distinct change times, evenly spaced rather than to scale, because a run mixes sub-millisecond
 * transitions with timers of seconds (the packet ladder makes the same choice).
 *
 * Design limits: a track is one host, or one socket of a host when events carry `i`, `sport` or
 * `fd`; at most 40 columns are drawn (later changes are listed in the table only).
 */
import type { LabEvent } from '../../../labs/_lib/types.ts';

/** One state held by one socket from `from` (a column index) up to, not including, `to`. */
export interface TimelineSpan {
  state: string;
  from: number;
  to: number;
  /** Seconds since the scenario started when the state was first seen. */
  t: number;
  /** Colour family: `open`, `established`, `closing`, `waiting`, `closed`. */
  kind: StateKind;
}

/** One socket's row. */
export interface TimelineTrack {
  label: string;
  spans: TimelineSpan[];
}

/** The whole timeline: column times and the tracks. */
export interface Timeline {
  /** Time (s) at which each column starts. */
  columns: number[];
  tracks: TimelineTrack[];
  /** Every sample, in time order, for the text alternative. */
  samples: Array<{ t: number; track: string; state: string; detail: string }>;
}

export type StateKind = 'opening' | 'established' | 'closing' | 'waiting' | 'closed';

const MAX_COLUMNS = 40;

/** Colour family of a state as `ss` names it (ESTAB, FIN-WAIT-1, ...) or GONE. */
export function stateKind(state: string): StateKind {
  const s = state.toUpperCase().replace(/_/g, '-');
  if (s.startsWith('ESTAB')) return 'established';
  if (s.startsWith('SYN') || s === 'LISTEN') return 'opening';
  if (s === 'CLOSE-WAIT' || s === 'TIME-WAIT') return 'waiting';
  if (s.startsWith('FIN-WAIT') || s === 'CLOSING' || s === 'LAST-ACK') return 'closing';
  return 'closed';
}

const trackKey = (e: LabEvent) => {
  const which = e.i ?? e.sport ?? e.fd;
  return which === undefined ? e.host : `${e.host} #${String(which)}`;
};

// Fields that are already shown (or are bookkeeping) and would only clutter the table's detail.
const hidden = new Set(['t', 'host', 'event', 'state', 'i']);

/** The timeline of `events`, or undefined when no socket was seen in two different states. */
export function layoutTimeline(events: LabEvent[]): Timeline | undefined {
  const sampled = events.filter((e) => typeof e.state === 'string').sort((a, b) => a.t - b.t);
  const byTrack = new Map<string, LabEvent[]>();
  for (const e of sampled) byTrack.set(trackKey(e), [...(byTrack.get(trackKey(e)) ?? []), e]);
  const changes = new Map<string, LabEvent[]>();
  for (const [key, list] of byTrack) {
    changes.set(
      key,
      list.filter((e, i) => i === 0 || e.state !== list[i - 1]!.state),
    );
  }
  if (![...changes.values()].some((list) => list.length > 1)) return undefined;

  const times = [...new Set([...changes.values()].flat().map((e) => e.t))]
    .sort((a, b) => a - b)
    .slice(0, MAX_COLUMNS);
  const column = (t: number) => times.indexOf(t);
  const tracks = [...changes].map(([label, list]) => {
    const drawn = list.filter((e) => column(e.t) !== -1);
    return {
      label,
      spans: drawn.map((e, i) => ({
        state: String(e.state),
        t: e.t,
        from: column(e.t),
        to: i + 1 < drawn.length ? column(drawn[i + 1]!.t) : times.length,
        kind: stateKind(String(e.state)),
      })),
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
  return { columns: times, tracks, samples };
}
