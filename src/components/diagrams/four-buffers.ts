/**
 * Data and layout of the four-buffers diagram: the send and receive buffer at each end of one
 * TCP connection, what part of each `ss` reports, and the two windows that limit a sender.
 * Facts: Send-Q is `write_seq - snd_una` and Recv-Q `rcv_nxt - copied_seq` for a connected
 * socket (`tcp_diag_get_info()`); skmem r/rb/w/tb are `sk_rmem_alloc`, `sk_rcvbuf`,
 * `sk_wmem_queued`, `sk_sndbuf` (`sk_get_meminfo()`); the receive window comes from free
 * receive-buffer space (`tcp_select_window()`), and a sender keeps at most min(cwnd, rwnd) in
 * flight (RFC 5681 §3; `tcp_cwnd_test()`, `tcp_snd_wnd_test()`).
 */
import { arrow, box, text, type Drawing, type Rect, type Shape, type Tone } from './draw.ts';

/** One part of a buffer's bar: its share of the bar, its label and colour. */
export interface BufferPart {
  label: string;
  share: number;
  tone: Tone;
  free?: boolean;
}

/** One kind of buffer, as the diagram states it. */
export interface BufferFacts {
  kind: 'send' | 'receive';
  title: string;
  parts: BufferPart[];
  /** What `ss` reports for this buffer, and what limits or drives it. */
  notes: string[];
}

export const buffers: Record<'send' | 'receive', BufferFacts> = {
  send: {
    kind: 'send',
    title: 'send buffer',
    parts: [
      { label: 'in flight', share: 0.42, tone: 'accent' },
      { label: 'unsent', share: 0.36, tone: 'orange' },
      { label: 'free', share: 0.22, tone: 'muted', free: true },
    ],
    notes: [
      'in flight: sent, not ACKed;',
      'at most min(`cwnd`, `rwnd`)',
      'Send-Q = in flight + unsent',
      'skmem: w queued, tb size',
    ],
  },
  receive: {
    kind: 'receive',
    title: 'receive buffer',
    parts: [
      { label: 'unread', share: 0.55, tone: 'green' },
      { label: 'free', share: 0.45, tone: 'muted', free: true },
    ],
    notes: [
      'unread: received, not read',
      'free space → window (`rwnd`)',
      'Recv-Q = unread bytes',
      'skmem: r queued, rb size',
    ],
  },
};

/** The two pairs: each end's send buffer feeds the other end's receive buffer. */
export const pairs = [
  { from: 'client', to: 'server' },
  { from: 'server', to: 'client' },
] as const;

const TITLE = 13.5;
const NOTE = 12.5;
const PAD = 9;
const BAR_H = 24;

/** A buffer drawn as a box: title, bar of parts, notes. Returns shapes, box and bar rectangles. */
export function bufferBox(
  b: BufferFacts,
  host: string | null,
  x: number,
  y: number,
  w: number,
  withNotes = true,
) {
  const key = `${host ?? ''}-${b.kind}`;
  let cy = y + PAD + TITLE * 0.8;
  const title = text(x + PAD, cy, host ? `${host} ${b.title}` : b.title, TITLE, { bold: true });
  cy += 8;
  const bar: Rect = { x: x + PAD, y: cy, w: w - 2 * PAD, h: BAR_H };
  const parts: Shape[] = [];
  let px = bar.x;
  for (const p of b.parts) {
    const pw = bar.w * p.share;
    parts.push(
      box({ x: px, y: bar.y, w: pw, h: bar.h }, p.tone, {
        dashed: p.free,
        key: `${key}-${p.label}`,
      }),
      text(px + pw / 2, bar.y + bar.h / 2 + NOTE * 0.35, p.label, NOTE, {
        anchor: 'middle',
        tone: p.free ? 'muted' : 'plain',
      }),
    );
    px += pw;
  }
  const shapes: Shape[] = [title, ...parts];
  cy = bar.y + bar.h + PAD;
  if (withNotes) {
    cy += NOTE * 0.95;
    shapes.push(text(x + PAD, cy, b.notes, NOTE, { tone: 'muted' }));
    cy += (b.notes.length - 1) * NOTE * 1.3 + PAD;
  }
  const rect: Rect = { x, y, w, h: cy - y };
  return { shapes: [box(rect, 'plain', { key }), ...shapes], rect, bar };
}

/** The two arrows between a sender's bar and a receiver's bar, with their labels. */
function lane(
  sendBar: Rect,
  recvBar: Rect,
  key: string,
  dir: 'right' | 'left' | 'down',
  sendBox: Rect,
  recvBox: Rect,
): Shape[] {
  if (dir === 'down') {
    const top = sendBox.y + sendBox.h;
    const bottom = recvBox.y;
    const xData = sendBox.x + 60;
    const xAck = sendBox.x + sendBox.w - 60;
    return [
      arrow(
        [
          [xData, top],
          [xData, bottom],
        ],
        'accent',
        { key: `${key}-data` },
      ),
      text(xData + 8, (top + bottom) / 2 + 4, 'data', NOTE, { bold: true }),
      arrow(
        [
          [xAck, bottom],
          [xAck, top],
        ],
        'green',
        { key: `${key}-ack` },
      ),
      text(xAck - 8, (top + bottom) / 2 + 4, 'ACKs with the window', NOTE, {
        anchor: 'end',
        bold: true,
      }),
    ];
  }
  const fromX = dir === 'right' ? sendBox.x + sendBox.w : sendBox.x;
  const toX = dir === 'right' ? recvBox.x : recvBox.x + recvBox.w;
  const yData = sendBar.y + 2;
  const yAck = sendBar.y + sendBar.h + 14;
  const mid = (fromX + toX) / 2;
  return [
    arrow(
      [
        [fromX, yData],
        [toX, yData],
      ],
      'accent',
      { key: `${key}-data` },
    ),
    text(mid, yData - 7, 'data', NOTE, { anchor: 'middle', bold: true }),
    arrow(
      [
        [toX, yAck],
        [fromX, yAck],
      ],
      'green',
      { key: `${key}-ack` },
    ),
    text(mid, yAck + NOTE * 1.4, ['ACKs with', 'the window'], NOTE, {
      anchor: 'middle',
      bold: true,
    }),
  ];
}

/** The layout for a wide column: client left, server right, one row per direction. */
export function fourBuffersWide(): Drawing {
  const W = 600;
  const colW = 226;
  const left = 2;
  const right = W - 2 - colW;
  const inner = colW - 16;
  const top = 34;
  const row1 = bufferBox(buffers.send, null, left + 8, top + 8, inner);
  const row1r = bufferBox(buffers.receive, null, right + 8, top + 8, inner);
  const y2 = Math.max(row1.rect.h, row1r.rect.h) + top + 8 + 18;
  const row2 = bufferBox(buffers.receive, null, left + 8, y2, inner);
  const row2r = bufferBox(buffers.send, null, right + 8, y2, inner);
  const bottom = Math.max(row2.rect.y + row2.rect.h, row2r.rect.y + row2r.rect.h) + 8;
  const shapes: Shape[] = [
    box({ x: left, y: top, w: colW, h: bottom - top }, 'muted', { frame: true, key: 'client' }),
    box({ x: right, y: top, w: colW, h: bottom - top }, 'muted', { frame: true, key: 'server' }),
    text(left + colW / 2, 20, 'client', 14, { anchor: 'middle', bold: true }),
    text(right + colW / 2, 20, 'server', 14, { anchor: 'middle', bold: true }),
    ...row1.shapes,
    ...row1r.shapes,
    ...row2.shapes,
    ...row2r.shapes,
    ...lane(row1.bar, row1r.bar, 'c2s', 'right', row1.rect, row1r.rect),
    ...lane(row2r.bar, row2.bar, 's2c', 'left', row2r.rect, row2.rect),
  ];
  return { width: W, height: Math.ceil(bottom + 2), shapes };
}

/** The layout for a narrow column: each direction as sender above, receiver below. */
export function fourBuffersNarrow(): Drawing {
  const W = 360;
  const w = 348;
  const x = 6;
  const shapes: Shape[] = [];
  let y = 18;
  for (const [i, p] of pairs.entries()) {
    // The second direction has the same parts; its notes would only repeat the first's.
    const notes = i === 0;
    shapes.push(text(x, y, `${p.from} → ${p.to}`, 14, { bold: true }));
    if (!notes)
      shapes.push(
        text(x + w, y, 'the same, the other way', NOTE, { tone: 'muted', anchor: 'end' }),
      );
    const snd = bufferBox(buffers.send, p.from, x, y + 10, w, notes);
    const rcv = bufferBox(buffers.receive, p.to, x, snd.rect.y + snd.rect.h + 52, w, notes);
    shapes.push(
      ...snd.shapes,
      ...rcv.shapes,
      ...lane(snd.bar, rcv.bar, `pair${i}`, 'down', snd.rect, rcv.rect),
    );
    y = rcv.rect.y + rcv.rect.h + 34;
  }
  return { width: W, height: Math.ceil(y - 20), shapes };
}

/** The text alternative: everything the drawing says, in sentences. */
export const fourBuffersDescription = [
  'One TCP connection has four buffers: a send buffer and a receive buffer at the client and at the server.',
  "The client's send buffer feeds the server's receive buffer, and the server's send buffer feeds the client's receive buffer; the two directions are independent.",
  'A send buffer holds bytes the application wrote that are in flight (sent, not yet acknowledged) or not yet sent; ss shows their sum as Send-Q, and in ss -tm skmem, w is the memory queued and tb the buffer size.',
  'A sender keeps at most the smaller of its congestion window (cwnd) and the receive window (rwnd) in flight.',
  'A receive buffer holds bytes received and not yet read; ss shows them as Recv-Q, and skmem r is the memory queued and rb the buffer size. The window the receiver advertises in every ACK is derived from its free space.',
].join(' ');
