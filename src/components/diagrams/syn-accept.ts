/**
 * Data and layout of the SYN queue / accept queue diagram: what each queue of a listening socket
 * holds, how many fit, what the kernel does when one is full, and where `ss` shows them.
 * Facts: `inet_csk_reqsk_queue_is_full()` and `sk_acceptq_is_full()` both compare with `>`
 * (backlog + 1 fit; the request-queue check was `>=` before commit 3479c7549fb1, Linux 6.13,
 * backported to stable kernels); `tcp_conn_request()` (cookie or drop, then the accept-queue
 * check), `tcp_check_req()` (tcp_abort_on_overflow), `tcp_diag_get_info()` (Recv-Q/Send-Q).
 */
import { arrow, box, text, type Drawing, type Rect, type Shape, type Tone } from './draw.ts';

/** One of the two queues, as the diagram states it. */
export interface QueueFacts {
  key: 'syn' | 'accept';
  title: string;
  holds: string[];
  /** How many entries fit, in terms of the backlog. */
  limit: string;
  /** Where `ss` shows the queue. */
  ss: string[];
  /** Filled slots drawn (illustration only), and their colour. */
  filled: number;
  tone: Tone;
  /** What happens to a segment that finds the queue full: lines under "When it is full". */
  whenFull: string[];
}

export const queues: readonly [QueueFacts, QueueFacts] = [
  {
    key: 'syn',
    title: 'SYN queue',
    holds: ['request socks in SYN-RECV:', 'SYN-ACK sent, ACK awaited'],
    limit: 'holds up to backlog + 1',
    ss: ['listed by', '`ss -tn state syn-recv`'],
    filled: 3,
    tone: 'accent',
    whenFull: [
      '`tcp_syncookies=1` (default):',
      'SYN-ACK carries a cookie,',
      'no request is stored',
      '`tcp_syncookies=0`: SYN dropped',
    ],
  },
  {
    key: 'accept',
    title: 'accept queue',
    holds: ['ESTABLISHED sockets', 'waiting for `accept()`'],
    limit: 'holds up to backlog + 1',
    ss: ['`ss -lnt`: Recv-Q = its length,', 'Send-Q = backlog'],
    filled: 2,
    tone: 'green',
    whenFull: [
      'new SYN: dropped, no answer',
      'final ACK: dropped, SYN-ACK',
      'sent again; RST instead with',
      '`tcp_abort_on_overflow=1`',
    ],
  },
];

export const listenerTitle = 'listening socket';
export const backlogRule = ['backlog = `listen()` argument,', 'capped at `somaxconn`'];

const TITLE = 14;
const BODY = 13;
const NOTE = 12.5;
const PAD = 12;

/**
 * A queue drawn as a box at (x, y) of width w (and at least `minH` high): its shapes, its
 * rectangle and the y of its row of slots.
 */
export function queueBox(q: QueueFacts, x: number, y: number, w: number, minH = 0) {
  const shapes: Shape[] = [];
  let cy = y + PAD + TITLE * 0.8;
  const title = text(x + PAD, cy, q.title, TITLE, { bold: true, key: `${q.key}-title` });
  cy += BODY * 1.45;
  const holds = text(x + PAD, cy, q.holds, BODY, { tone: 'muted' });
  cy += (q.holds.length - 1) * BODY * 1.3 + 10;
  const slotY = cy;
  const slots: Shape[] = [];
  for (let i = 0; i < 4; i++) {
    const filled = i < q.filled;
    slots.push(
      box({ x: x + PAD + i * 30, y: slotY, w: 24, h: 18 }, filled ? q.tone : 'muted', {
        dashed: !filled,
        key: `${q.key}-slot-${i}`,
      }),
    );
  }
  cy = slotY + 18 + NOTE * 1.3;
  const limit = text(x + PAD, cy, q.limit, NOTE, { bold: true });
  cy += NOTE * 1.45;
  const ss = text(x + PAD, cy, q.ss, NOTE, { tone: 'muted' });
  cy += (q.ss.length - 1) * NOTE * 1.3 + 22;
  const fullTitle = text(x + PAD, cy, 'When it is full:', NOTE, { tone: 'orange', bold: true });
  cy += NOTE * 1.35;
  const full = text(x + PAD, cy, q.whenFull, NOTE);
  cy += (q.whenFull.length - 1) * NOTE * 1.3 + PAD;
  const rect: Rect = { x, y, w, h: Math.max(cy - y, minH) };
  shapes.push(
    box(rect, 'plain', { key: q.key }),
    title,
    holds,
    ...slots,
    limit,
    ss,
    fullTitle,
    full,
  );
  return { shapes, rect, slotY };
}

/** The layout for a wide column: the two queues side by side, the application above. */
export function synAcceptWide(): Drawing {
  const W = 600;
  const frame: Rect = { x: 44, y: 36, w: 540, h: 0 };
  const boxY = frame.y + 62;
  const h = Math.max(...queues.map((q) => queueBox(q, 0, 0, 232).rect.h));
  const syn = queueBox(queues[0], 58, boxY, 232, h);
  const acc = queueBox(queues[1], 338, boxY, 232, h);
  frame.h = h + (boxY - frame.y) + 14;
  const midY = syn.slotY + 9;
  const appX = acc.rect.x + acc.rect.w - 50;
  const shapes: Shape[] = [
    box(frame, 'muted', { frame: true, key: 'listener' }),
    text(frame.x + PAD, frame.y + 22, listenerTitle, TITLE, { bold: true }),
    text(frame.x + PAD, frame.y + 40, backlogRule.join(' '), NOTE, { tone: 'muted' }),
    ...syn.shapes,
    ...acc.shapes,
    text(4, midY - 8, 'SYN', BODY, { bold: true }),
    arrow(
      [
        [2, midY],
        [syn.rect.x, midY],
      ],
      'accent',
      { key: 'syn-in' },
    ),
    arrow(
      [
        [syn.rect.x + syn.rect.w, midY],
        [acc.rect.x, midY],
      ],
      'green',
      { key: 'final-ack' },
    ),
    text((syn.rect.x + syn.rect.w + acc.rect.x) / 2, midY - 20, ['final', 'ACK'], NOTE, {
      anchor: 'middle',
      bold: true,
    }),
    arrow(
      [
        [appX, acc.rect.y],
        [appX, 6],
      ],
      'plain',
      { key: 'accept' },
    ),
    text(appX - 8, 16, 'application calls `accept()`', BODY, { anchor: 'end', bold: true }),
  ];
  return { width: W, height: Math.ceil(frame.y + frame.h + 4), shapes };
}

/** The layout for a narrow column: the queues one under the other. */
export function synAcceptNarrow(): Drawing {
  const W = 360;
  const frame: Rect = { x: 4, y: 30, w: 352, h: 0 };
  const syn = queueBox(queues[0], 16, frame.y + 72, 328);
  const gap = 40;
  const acc = queueBox(queues[1], 16, syn.rect.y + syn.rect.h + gap, 328);
  frame.h = acc.rect.y + acc.rect.h + 12 - frame.y;
  const inX = 300;
  const ackX = 60;
  const appY = frame.y + frame.h + 34;
  const shapes: Shape[] = [
    box(frame, 'muted', { frame: true, key: 'listener' }),
    text(frame.x + PAD, frame.y + 22, listenerTitle, TITLE, { bold: true }),
    text(frame.x + PAD, frame.y + 40, backlogRule, NOTE, { tone: 'muted' }),
    ...syn.shapes,
    ...acc.shapes,
    text(inX - 10, 14, 'SYN', BODY, { bold: true, anchor: 'end' }),
    arrow(
      [
        [inX, 2],
        [inX, syn.rect.y],
      ],
      'accent',
      { key: 'syn-in' },
    ),
    arrow(
      [
        [ackX, syn.rect.y + syn.rect.h],
        [ackX, acc.rect.y],
      ],
      'green',
      { key: 'final-ack' },
    ),
    text(ackX + 10, syn.rect.y + syn.rect.h + gap / 2 + 5, 'final ACK', NOTE, { bold: true }),
    arrow(
      [
        [inX, acc.rect.y + acc.rect.h],
        [inX, appY],
      ],
      'plain',
      { key: 'accept' },
    ),
    text(inX - 10, appY - 4, 'application calls `accept()`', BODY, { anchor: 'end', bold: true }),
  ];
  return { width: W, height: Math.ceil(appY + 6), shapes };
}

/** The text alternative: everything the drawing says, in sentences. */
export const synAcceptDescription = [
  'A listening socket has two queues.',
  'The SYN queue holds request socks, half-open connections in SYN-RECV that have answered a SYN with a SYN-ACK; it holds up to backlog + 1 of them.',
  'When it is full, tcp_syncookies=1 (the default) answers a SYN with a SYN cookie and stores no request, and tcp_syncookies=0 drops the SYN (tcp_syncookies=2 sends cookies for every SYN).',
  'The final ACK of a handshake turns a request into an ESTABLISHED socket in the accept queue, where it waits for accept(); the accept queue also holds up to backlog + 1.',
  'When the accept queue is full, a new SYN is dropped without an answer, and a final ACK is dropped while the server sends its SYN-ACK again, or answered with RST when tcp_abort_on_overflow=1.',
  'The backlog is the listen() argument, capped at net.core.somaxconn.',
  'For a listening socket, ss -lnt shows the accept queue length as Recv-Q and the backlog as Send-Q; ss -tn state syn-recv lists the requests.',
].join(' ');
