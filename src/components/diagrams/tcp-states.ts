/**
 * Data and layout of the TCP state machine of RFC 9293 §3.3.2 (Figure 5): the eleven states,
 * every transition the figure draws with its event and action, and the positions of boxes,
 * arrows and labels for a wide and a narrow column. State names are the ones `ss` prints and the
 * labs record (ESTAB, SYN-RECV, ...); the boxes show the RFC's names. Like the RFC's figure,
 * CLOSED is drawn twice, at the top and at the bottom right.
 */
import {
  anchor,
  arrow,
  box,
  text,
  type Drawing,
  type Point,
  type Rect,
  type Shape,
} from './draw.ts';

/** The states, spelled as `ss` prints them and the labs record them. */
export const STATES = [
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECV',
  'ESTAB',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSING',
  'TIME-WAIT',
  'CLOSE-WAIT',
  'LAST-ACK',
] as const;

export type TcpState = (typeof STATES)[number];

/** The RFC 9293 name of each state, drawn in its box. */
export const rfcName: Record<TcpState, string> = {
  CLOSED: 'CLOSED',
  LISTEN: 'LISTEN',
  'SYN-SENT': 'SYN-SENT',
  'SYN-RECV': 'SYN-RECEIVED',
  ESTAB: 'ESTABLISHED',
  'FIN-WAIT-1': 'FIN-WAIT-1',
  'FIN-WAIT-2': 'FIN-WAIT-2',
  CLOSING: 'CLOSING',
  'TIME-WAIT': 'TIME-WAIT',
  'CLOSE-WAIT': 'CLOSE-WAIT',
  'LAST-ACK': 'LAST-ACK',
};

/** A drawn box: which state, and where on the grid (column 0-2, row 0-6). */
export interface StateBox {
  id: string;
  state: TcpState;
  col: number;
  row: number;
}

export const boxes: readonly StateBox[] = [
  { id: 'closed', state: 'CLOSED', col: 1, row: 0 },
  { id: 'listen', state: 'LISTEN', col: 1, row: 1 },
  { id: 'syn-recv', state: 'SYN-RECV', col: 0, row: 2 },
  { id: 'syn-sent', state: 'SYN-SENT', col: 2, row: 2 },
  { id: 'estab', state: 'ESTAB', col: 1, row: 3 },
  { id: 'fin-wait-1', state: 'FIN-WAIT-1', col: 0, row: 4 },
  { id: 'close-wait', state: 'CLOSE-WAIT', col: 2, row: 4 },
  { id: 'fin-wait-2', state: 'FIN-WAIT-2', col: 0, row: 5 },
  { id: 'closing', state: 'CLOSING', col: 1, row: 5 },
  { id: 'last-ack', state: 'LAST-ACK', col: 2, row: 5 },
  { id: 'time-wait', state: 'TIME-WAIT', col: 1, row: 6 },
  { id: 'closed-end', state: 'CLOSED', col: 2, row: 6 },
];

/** A transition: from one box to another, on an event, doing an action ('' for the RFC's "x"). */
export interface Transition {
  id: string;
  from: string;
  to: string;
  event: string;
  action: string;
  /** A condition the RFC adds in a note under the figure. */
  note?: string;
}

/** Every transition RFC 9293 Figure 5 draws, with its labels as the figure gives them. */
export const transitions: readonly Transition[] = [
  { id: 'passive-open', from: 'closed', to: 'listen', event: 'passive OPEN', action: 'create TCB' },
  { id: 'listen-close', from: 'listen', to: 'closed', event: 'CLOSE', action: 'delete TCB' },
  {
    id: 'active-open',
    from: 'closed',
    to: 'syn-sent',
    event: 'active OPEN',
    action: 'create TCB, snd SYN',
  },
  { id: 'listen-syn', from: 'listen', to: 'syn-recv', event: 'rcv SYN', action: 'snd SYN,ACK' },
  { id: 'listen-send', from: 'listen', to: 'syn-sent', event: 'SEND', action: 'snd SYN' },
  {
    id: 'syn-rst',
    from: 'syn-recv',
    to: 'listen',
    event: 'rcv RST',
    action: '',
    note: 'if from LISTEN',
  },
  { id: 'syn-sent-close', from: 'syn-sent', to: 'closed', event: 'CLOSE', action: 'delete TCB' },
  {
    id: 'simultaneous-open',
    from: 'syn-sent',
    to: 'syn-recv',
    event: 'rcv SYN',
    action: 'snd SYN,ACK',
  },
  { id: 'syn-ack-of-syn', from: 'syn-recv', to: 'estab', event: 'rcv ACK of SYN', action: '' },
  { id: 'syn-sent-synack', from: 'syn-sent', to: 'estab', event: 'rcv SYN,ACK', action: 'snd ACK' },
  { id: 'syn-recv-close', from: 'syn-recv', to: 'fin-wait-1', event: 'CLOSE', action: 'snd FIN' },
  { id: 'estab-close', from: 'estab', to: 'fin-wait-1', event: 'CLOSE', action: 'snd FIN' },
  { id: 'estab-fin', from: 'estab', to: 'close-wait', event: 'rcv FIN', action: 'snd ACK' },
  { id: 'fw1-ack', from: 'fin-wait-1', to: 'fin-wait-2', event: 'rcv ACK of FIN', action: '' },
  { id: 'fw1-fin', from: 'fin-wait-1', to: 'closing', event: 'rcv FIN', action: 'snd ACK' },
  { id: 'close-wait-close', from: 'close-wait', to: 'last-ack', event: 'CLOSE', action: 'snd FIN' },
  { id: 'fw2-fin', from: 'fin-wait-2', to: 'time-wait', event: 'rcv FIN', action: 'snd ACK' },
  { id: 'closing-ack', from: 'closing', to: 'time-wait', event: 'rcv ACK of FIN', action: '' },
  { id: 'last-ack-ack', from: 'last-ack', to: 'closed-end', event: 'rcv ACK of FIN', action: '' },
  {
    id: 'time-wait-timeout',
    from: 'time-wait',
    to: 'closed-end',
    event: 'Timeout=2MSL',
    action: 'delete TCB',
  },
];

/**
 * Other spellings `highlight` accepts: `ss` prints a TCP socket in CLOSED as UNCONN, and the
 * labs record it so.
 */
export const ALIASES: Readonly<Record<string, TcpState>> = { UNCONN: 'CLOSED' };

/** The states `highlight` names, or an error naming the unknown ones and the known. */
export function checkHighlight(highlight: readonly string[]): Set<TcpState> {
  const known = (s: string) => (STATES as readonly string[]).includes(s) || s in ALIASES;
  const unknown = highlight.filter((s) => !known(s));
  if (unknown.length > 0) {
    const aliases = Object.entries(ALIASES).map(([a, s]) => `${a} (= ${s})`);
    throw new Error(
      `TcpStateMachine: unknown state${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => `"${s}"`).join(', ')} in highlight; use the names ss prints: ${[...STATES, ...aliases].join(', ')}`,
    );
  }
  return new Set(highlight.map((s) => ALIASES[s] ?? (s as TcpState)));
}

/** Where a transition's label goes in the wide layout. */
interface Label {
  /** x and the baseline of the first line. */
  x: number;
  y: number;
  anchor: 'start' | 'middle' | 'end';
  /** The event split into lines; the action, if any, goes on the line under it. */
  event?: string[];
}

/** How a layout places the grid, and how it labels transitions. */
export interface Geometry {
  name: 'wide' | 'narrow';
  width: number;
  height: number;
  boxW: number;
  boxH: number;
  colX: readonly number[];
  rowY: readonly number[];
  nameSize: number;
  /** Full event and action labels at these places (wide), or else numbered badges (narrow). */
  labels?: Record<string, Label>;
  /** Badge position along the arrow, 0-1 of its length, where the default (0.5) is crowded. */
  badgeAt?: Record<string, number>;
  /** Routes that differ from the shared ones in this layout. */
  reroute?: Record<string, (r: Rects) => Point[]>;
}

type Rects = (id: string) => Rect;
const pt = (x: number, y: number): Point => [x, y];

/**
 * The arrow of each transition, from the box rectangles alone, so both layouts share the
 * routing of RFC 9293's figure: elbows where the figure runs along a side.
 */
export const routes: Record<string, (r: Rects) => Point[]> = {
  'passive-open': (r) => [anchor(r('closed'), 's', -0.3), anchor(r('listen'), 'n', -0.3)],
  'listen-close': (r) => [anchor(r('listen'), 'n', 0.3), anchor(r('closed'), 's', 0.3)],
  'active-open': (r) => {
    const [sx, sy] = anchor(r('closed'), 'e', -0.5);
    const end = anchor(r('syn-sent'), 'n', 0.89);
    return [pt(sx, sy), pt(end[0], sy), end];
  },
  'syn-sent-close': (r) => {
    const start = anchor(r('syn-sent'), 'n', -0.32);
    const end = anchor(r('closed'), 'e', 0.5);
    return [start, pt(start[0], end[1]), end];
  },
  'listen-send': (r) => {
    const start = anchor(r('listen'), 'e', 0.3);
    const end = anchor(r('syn-sent'), 'n', -0.75);
    return [start, pt(end[0], start[1]), end];
  },
  'listen-syn': (r) => {
    const start = anchor(r('listen'), 'w', 0.3);
    const end = anchor(r('syn-recv'), 'n', 0.73);
    return [start, pt(end[0], start[1]), end];
  },
  'syn-rst': (r) => {
    const start = anchor(r('syn-recv'), 'n', -0.6);
    const end = anchor(r('listen'), 'w', -0.4);
    return [start, pt(start[0], end[1]), end];
  },
  'simultaneous-open': (r) => [anchor(r('syn-sent'), 'w', 0.3), anchor(r('syn-recv'), 'e', 0.3)],
  'syn-ack-of-syn': (r) => [anchor(r('syn-recv'), 's', 0.5), anchor(r('estab'), 'n', -0.6)],
  'syn-sent-synack': (r) => [anchor(r('syn-sent'), 's', -0.5), anchor(r('estab'), 'n', 0.6)],
  'syn-recv-close': (r) => [anchor(r('syn-recv'), 's', -0.6), anchor(r('fin-wait-1'), 'n', -0.6)],
  'estab-close': (r) => {
    const start = anchor(r('estab'), 'w', 0.3);
    const end = anchor(r('fin-wait-1'), 'n', 0.73);
    return [start, pt(end[0], start[1]), end];
  },
  'estab-fin': (r) => {
    const start = anchor(r('estab'), 'e', 0.3);
    const end = anchor(r('close-wait'), 'n', -0.73);
    return [start, pt(end[0], start[1]), end];
  },
  'close-wait-close': (r) => [anchor(r('close-wait'), 's'), anchor(r('last-ack'), 'n')],
  'fw1-ack': (r) => [anchor(r('fin-wait-1'), 's', -0.3), anchor(r('fin-wait-2'), 'n', -0.3)],
  'fw1-fin': (r) => {
    const start = anchor(r('fin-wait-1'), 'e');
    const end = anchor(r('closing'), 'n', -0.5);
    return [start, pt(end[0], start[1]), end];
  },
  'fw2-fin': (r) => {
    const start = anchor(r('fin-wait-2'), 's');
    const end = anchor(r('time-wait'), 'w');
    return [start, pt(start[0], end[1]), end];
  },
  'closing-ack': (r) => [anchor(r('closing'), 's'), anchor(r('time-wait'), 'n')],
  'last-ack-ack': (r) => [anchor(r('last-ack'), 's'), anchor(r('closed-end'), 'n')],
  'time-wait-timeout': (r) => [anchor(r('time-wait'), 'e'), anchor(r('closed-end'), 'w')],
};

const S = 'start' as const;
const M = 'middle' as const;
const E = 'end' as const;

const wide: Geometry = {
  name: 'wide',
  width: 600,
  height: 686,
  boxW: 148,
  boxH: 32,
  colX: [96, 300, 504],
  rowY: [52, 140, 240, 340, 430, 520, 610],
  nameSize: 13.5,
  labels: {
    'passive-open': { x: 270, y: 106, anchor: E },
    'listen-close': { x: 330, y: 106, anchor: S },
    'active-open': { x: 472, y: 30, anchor: M },
    'syn-sent-close': { x: 488, y: 150, anchor: S },
    'listen-send': { x: 440, y: 200, anchor: E },
    'listen-syn': { x: 158, y: 192, anchor: S },
    'syn-rst': { x: 140, y: 138, anchor: M, event: ['rcv RST (if from LISTEN)'] },
    'simultaneous-open': { x: 300, y: 283, anchor: M },
    'syn-ack-of-syn': { x: 142, y: 316, anchor: E, event: ['rcv ACK', 'of SYN'] },
    'syn-sent-synack': { x: 458, y: 316, anchor: S },
    'syn-recv-close': { x: 60, y: 392, anchor: S },
    'estab-close': { x: 158, y: 392, anchor: S },
    'estab-fin': { x: 442, y: 392, anchor: E },
    'close-wait-close': { x: 512, y: 486, anchor: S },
    'fw1-ack': { x: 66, y: 484, anchor: E, event: ['rcv ACK', 'of FIN'] },
    'fw1-fin': { x: 271, y: 484, anchor: S },
    'fw2-fin': { x: 104, y: 578, anchor: S },
    'closing-ack': { x: 308, y: 578, anchor: S, event: ['rcv ACK', 'of FIN'] },
    'last-ack-ack': { x: 496, y: 578, anchor: E, event: ['rcv ACK', 'of FIN'] },
    'time-wait-timeout': { x: 402, y: 664, anchor: M },
  },
};

const narrow: Geometry = {
  name: 'narrow',
  width: 360,
  height: 566,
  boxW: 114,
  boxH: 30,
  colX: [60, 180, 300],
  rowY: [24, 100, 178, 256, 334, 412, 496],
  nameSize: 12,
  badgeAt: {},
  reroute: {
    // The columns are too close for a badge between TIME-WAIT and CLOSED: go round below.
    'time-wait-timeout': (r) => {
      const start = anchor(r('time-wait'), 's', 0.4);
      const end = anchor(r('closed-end'), 's', -0.4);
      const y = start[1] + 22;
      return [start, pt(start[0], y), pt(end[0], y), end];
    },
  },
};

/** The geometry of each layout. */
export const geometries = { wide, narrow } as const;

/** The number a transition's badge shows in the narrow layout (its place in the list, from 1). */
export const badgeNumber = (id: string) => transitions.findIndex((t) => t.id === id) + 1;

/** The point a fraction `f` of the way along a polyline. */
export function along(points: readonly Point[], f: number): Point {
  const seg = points.slice(1).map((p, i) => Math.hypot(p[0] - points[i]![0], p[1] - points[i]![1]));
  let left = seg.reduce((a, b) => a + b, 0) * f;
  for (const [i, len] of seg.entries()) {
    if (left <= len || i === seg.length - 1) {
      const k = len === 0 ? 0 : Math.min(1, left / len);
      const [a, b] = [points[i]!, points[i + 1]!];
      return [a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k];
    }
    left -= len;
  }
  return points[points.length - 1]!;
}

/** A box's rectangle in a geometry. */
function rectOf(g: Geometry, b: StateBox): Rect {
  return { x: g.colX[b.col]! - g.boxW / 2, y: g.rowY[b.row]!, w: g.boxW, h: g.boxH };
}

const LABEL = 12.5;
const BADGE = 12;

/** The drawing of the state machine in a geometry, with the given states highlighted. */
export function layoutStates(g: Geometry, highlight: ReadonlySet<TcpState>): Drawing {
  const rect = (id: string) => {
    const b = boxes.find((x) => x.id === id);
    if (!b) throw new Error(`no state box ${id}`);
    return rectOf(g, b);
  };
  const shapes: Shape[] = [];
  for (const b of boxes) {
    const r = rectOf(g, b);
    const on = highlight.has(b.state);
    shapes.push(
      box(r, on ? 'accent' : 'plain', { strong: on, key: b.id }),
      text(r.x + r.w / 2, r.y + r.h / 2 + g.nameSize * 0.36, rfcName[b.state], g.nameSize, {
        anchor: 'middle',
        bold: true,
        key: `${b.id}-name`,
      }),
    );
  }
  const badges: Shape[] = [];
  for (const t of transitions) {
    const route = g.reroute?.[t.id] ?? routes[t.id];
    if (!route) throw new Error(`no route for transition ${t.id}`);
    const points = route(rect);
    shapes.push(arrow(points, 'plain', { key: t.id }));
    const label = g.labels?.[t.id];
    if (g.labels && !label)
      throw new Error(`no label for transition ${t.id} in the ${g.name} layout`);
    if (label) {
      const size = LABEL;
      const event = label.event ?? [t.event];
      shapes.push(
        text(label.x, label.y, event, size, { anchor: label.anchor, key: `${t.id}-event` }),
      );
      if (t.action) {
        const y = label.y + event.length * size * 1.3;
        shapes.push(
          text(label.x, y, t.action, size, {
            anchor: label.anchor,
            tone: 'accent',
            key: `${t.id}-action`,
          }),
        );
      }
    } else {
      const [x, y] = along(points, g.badgeAt?.[t.id] ?? 0.5);
      const n = String(badgeNumber(t.id));
      const w = n.length > 1 ? 24 : 18;
      badges.push(
        box({ x: x - w / 2, y: y - 9, w, h: 18 }, 'muted', { round: true, key: `${t.id}-badge` }),
        text(x, y + 4.3, n, BADGE, { anchor: 'middle', bold: true, key: `${t.id}-number` }),
      );
    }
  }
  shapes.push(...badges);
  return { width: g.width, height: g.height, shapes };
}
