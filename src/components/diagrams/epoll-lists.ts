/**
 * Data and layout of the epoll diagram: the interest list (a red-black tree of epitems, one per
 * fd registered with epoll_ctl) and the ready list (epitems queued by the wakeup callback), and
 * what epoll_wait does with each ready item in level- and edge-triggered mode.
 * Facts, fs/eventpoll.c: `struct eventpoll` has `rbr` (rb_root_cached of `struct epitem`) and
 * `rdllist`; `ep_insert()` hooks `ep_poll_callback()` into the file's wait queue
 * (`ep_ptable_queue_proc()`); `ep_poll_callback()` links the epitem on `rdllist`;
 * `ep_send_events()` takes each item off, re-polls it (`ep_item_poll()`), skips it when nothing
 * is ready, and puts it back on `rdllist` unless it has `EPOLLET` (or `EPOLLONESHOT`).
 */
import { arrow, box, text, type Drawing, type Rect, type Shape } from './draw.ts';

/** One epitem in the drawn tree: its fd, its parent (by fd) and whether it is on the ready list. */
export interface TreeNode {
  fd: number;
  parent: number | null;
  ready: boolean;
}

/** The illustrated interest list: seven registered fds, two of them ready. */
export const interestTree: readonly TreeNode[] = [
  { fd: 6, parent: null, ready: false },
  { fd: 3, parent: 6, ready: false },
  { fd: 9, parent: 6, ready: false },
  { fd: 1, parent: 3, ready: false },
  { fd: 4, parent: 3, ready: true },
  { fd: 7, parent: 9, ready: true },
  { fd: 12, parent: 9, ready: false },
];

/** The ready list, in the order the wakeups queued the items. */
export const readyList: readonly number[] = [7, 4];

export const text_ = {
  interestTitle: 'interest list',
  interestSub: ['red-black tree of epitems,', 'one per fd added with `epoll_ctl()`'],
  readyTitle: 'ready list',
  readySub: ['epitems whose file woke up'],
  waitSteps: [
    '`epoll_wait()` takes each item off,',
    'polls its file again and reports',
    'what is ready now (if nothing,',
    'it drops the item); then:',
  ],
  lt: 'level-triggered: puts it back',
  et: ['`EPOLLET`: leaves it off until', 'the file wakes up again'],
  files: 'files: sockets, pipes, …, each with a wait queue',
  filesNarrow: ['files: sockets, pipes, …', 'each with a wait queue'],
  hook: ['`EPOLL_CTL_ADD` hooks the', 'callback into the wait queue'],
  wake: ['a wakeup (data, FIN, space)', 'runs `ep_poll_callback()`'],
};

const TITLE = 13.5;
const NOTE = 12.5;
const PAD = 12;
const NODE_W = 44;
const NODE_H = 22;

/** Depth of each node in the tree (root 0). */
export function depth(fd: number): number {
  const n = interestTree.find((t) => t.fd === fd);
  if (!n) throw new Error(`no fd ${fd} in the tree`);
  return n.parent === null ? 0 : 1 + depth(n.parent);
}

/** The tree drawn with its root's centre at (cx, y): nodes and the edges between them. */
export function treeShapes(cx: number, y: number, spread: number, rowH: number): Shape[] {
  const pos = new Map<number, [number, number]>();
  const place = (fd: number, x: number, d: number) => {
    pos.set(fd, [x, y + d * rowH]);
    const kids = interestTree.filter((t) => t.parent === fd);
    kids.forEach((k, i) => place(k.fd, x + (i === 0 ? -1 : 1) * (spread / 2 ** (d + 1)), d + 1));
  };
  place(interestTree[0]!.fd, cx, 0);
  const shapes: Shape[] = [];
  for (const n of interestTree) {
    if (n.parent === null) continue;
    const [x1, y1] = pos.get(n.parent)!;
    const [x2, y2] = pos.get(n.fd)!;
    shapes.push(
      arrow(
        [
          [x1, y1 + NODE_H],
          [x2, y2],
        ],
        'muted',
        { heads: 'none', key: `edge-${n.fd}` },
      ),
    );
  }
  for (const n of interestTree) {
    const [x, ny] = pos.get(n.fd)!;
    shapes.push(...node(n.fd, x, ny, n.ready, 'tree'));
  }
  return shapes;
}

/** One epitem box centred on x with its top at y. */
function node(fd: number, x: number, y: number, ready: boolean, where: string): Shape[] {
  return [
    box({ x: x - NODE_W / 2, y, w: NODE_W, h: NODE_H }, ready ? 'accent' : 'plain', {
      key: `${where}-${fd}`,
      strong: ready,
    }),
    text(x, y + NODE_H / 2 + NOTE * 0.35, `fd ${fd}`, NOTE, { anchor: 'middle', bold: ready }),
  ];
}

/** A panel: a titled box. */
function panel(title: string, sub: string[], r: Rect, key: string): Shape[] {
  return [
    box(r, 'plain', { key }),
    text(r.x + PAD, r.y + PAD + TITLE * 0.8, title, TITLE, { bold: true }),
    text(r.x + PAD, r.y + PAD + TITLE * 0.8 + NOTE * 1.45, sub, NOTE, { tone: 'muted' }),
  ];
}

/** The ready list's chain and what epoll_wait does, from (x, y) in a panel of width w. */
function readyShapes(x: number, y: number): { shapes: Shape[]; chainEnd: number; bottom: number } {
  const shapes: Shape[] = [];
  let nx = x + NODE_W / 2;
  for (const [i, fd] of readyList.entries()) {
    shapes.push(...node(fd, nx, y, true, 'ready'));
    if (i < readyList.length - 1) {
      shapes.push(
        arrow(
          [
            [nx + NODE_W / 2, y + NODE_H / 2],
            [nx + NODE_W / 2 + 22, y + NODE_H / 2],
          ],
          'plain',
        ),
      );
    }
    nx += NODE_W + 22;
  }
  let cy = y + NODE_H + 26;
  shapes.push(text(x, cy, text_.waitSteps, NOTE));
  cy += text_.waitSteps.length * NOTE * 1.3 + 4;
  shapes.push(text(x, cy, text_.lt, NOTE, { tone: 'green', bold: true }));
  cy += NOTE * 1.4;
  shapes.push(text(x, cy, text_.et, NOTE, { tone: 'orange', bold: true }));
  cy += (text_.et.length - 1) * NOTE * 1.3;
  return { shapes, chainEnd: nx - 22, bottom: cy };
}

/** The layout for a wide column: interest list left, ready list right, files below. */
export function epollWide(): Drawing {
  const W = 600;
  const frame: Rect = { x: 2, y: 66, w: 596, h: 0 };
  const panelY = frame.y + 36;
  const left: Rect = { x: 14, y: panelY, w: 282, h: 0 };
  const right: Rect = { x: 308, y: panelY, w: 278, h: 0 };
  const ready = readyShapes(right.x + PAD, panelY + 64);
  right.h = ready.bottom + PAD - panelY;
  left.h = right.h;
  frame.h = left.y + left.h + 12 - frame.y;
  const filesY = frame.y + frame.h + 52;
  const files: Rect = { x: 14, y: filesY, w: 572, h: 30 };
  const ctlX = left.x + left.w - 40;
  const treeX = left.x + left.w / 2;
  const waitX = right.x + 150;
  const hookX = left.x + 60;
  const wakeX = right.x + right.w - 40;
  const shapes: Shape[] = [
    text(ctlX - 8, 20, ['`epoll_ctl()`', 'ADD, MOD, DEL'], NOTE, { anchor: 'end', bold: true }),
    arrow(
      [
        [ctlX, 6],
        [ctlX, left.y],
      ],
      'plain',
      { key: 'ctl' },
    ),
    text(waitX - 8, 20, ['`epoll_wait()`', 'returns events'], NOTE, { anchor: 'end', bold: true }),
    arrow(
      [
        [waitX, right.y],
        [waitX, 6],
      ],
      'accent',
      { key: 'wait' },
    ),
    arrow(
      [
        [waitX + 8, 12],
        [W + 10, panelY + 80],
        [ready.chainEnd + 4, panelY + 64 + NODE_H / 2],
      ],
      'green',
      { curve: true, key: 'level-requeue' },
    ),
    box(frame, 'muted', { frame: true, key: 'epoll' }),
    text(frame.x + PAD, frame.y + 22, 'epoll instance (kernel)', TITLE, { bold: true }),
    ...panel(text_.interestTitle, text_.interestSub, left, 'interest'),
    ...treeShapes(treeX, panelY + 72, 136, 44),
    ...panel(text_.readyTitle, text_.readySub, right, 'ready'),
    ...ready.shapes,
    box(files, 'muted', { key: 'files' }),
    text(files.x + PAD, files.y + 20, text_.files, NOTE),
    arrow(
      [
        [hookX, left.y + left.h],
        [hookX, files.y],
      ],
      'muted',
      { dashed: true, key: 'hook' },
    ),
    text(hookX + 10, frame.y + frame.h + 20, text_.hook, NOTE, { tone: 'muted' }),
    arrow(
      [
        [wakeX, files.y],
        [wakeX, right.y + right.h],
      ],
      'accent',
      { key: 'wake' },
    ),
    text(wakeX - 10, frame.y + frame.h + 20, text_.wake, NOTE, { anchor: 'end', tone: 'muted' }),
  ];
  return { width: W, height: Math.ceil(files.y + files.h + 2), shapes };
}

/** The layout for a narrow column: the same pieces one under the other. */
export function epollNarrow(): Drawing {
  const W = 360;
  const x = 4;
  const w = 352;
  const ctlX = 180;
  const top: Rect = { x, y: 40, w, h: 0 };
  const treeY = top.y + 86;
  top.h = treeY + 3 * 40 - 40 + NODE_H + PAD - top.y;
  const filesY = top.y + top.h + 52;
  const files: Rect = { x, y: filesY, w, h: 44 };
  const right: Rect = { x, y: files.y + files.h + 52, w, h: 0 };
  const ready = readyShapes(right.x + PAD, right.y + 64);
  right.h = ready.bottom + PAD - right.y;
  const waitY = right.y + right.h + 40;
  const chainMid = right.y + 64 + NODE_H / 2;
  const hookX = 60;
  const wakeX = 60;
  const waitX = 300;
  const shapes: Shape[] = [
    text(ctlX, 18, '`epoll_ctl()`: ADD, MOD, DEL', NOTE, { anchor: 'middle', bold: true }),
    arrow(
      [
        [ctlX, 26],
        [ctlX, top.y],
      ],
      'plain',
      { key: 'ctl' },
    ),
    ...panel(text_.interestTitle, text_.interestSub, top, 'interest'),
    ...treeShapes(ctlX, treeY, 180, 40),
    arrow(
      [
        [hookX, top.y + top.h],
        [hookX, files.y],
      ],
      'muted',
      { dashed: true, key: 'hook' },
    ),
    text(hookX + 10, top.y + top.h + 22, text_.hook, NOTE, { tone: 'muted' }),
    box(files, 'muted', { key: 'files' }),
    text(files.x + PAD, files.y + 18, text_.filesNarrow, NOTE),
    arrow(
      [
        [wakeX, files.y + files.h],
        [wakeX, right.y],
      ],
      'accent',
      { key: 'wake' },
    ),
    text(wakeX + 10, files.y + files.h + 22, text_.wake, NOTE, { tone: 'muted' }),
    ...panel(text_.readyTitle, text_.readySub, right, 'ready'),
    ...ready.shapes,
    arrow(
      [
        [waitX, right.y + right.h],
        [waitX, waitY],
      ],
      'accent',
      { key: 'wait' },
    ),
    text(waitX - 10, waitY - 4, '`epoll_wait()` returns events', NOTE, {
      anchor: 'end',
      bold: true,
    }),
    arrow(
      [
        [waitX, waitY - 10],
        [W - 12, waitY - 10],
        [W - 12, chainMid],
        [ready.chainEnd + 4, chainMid],
      ],
      'green',
      { key: 'level-requeue' },
    ),
  ];
  return { width: W, height: Math.ceil(waitY + 6), shapes };
}

/** The text alternative: everything the drawing says, in sentences. */
export const epollDescription = [
  'An epoll instance keeps two structures in the kernel.',
  'The interest list is a red-black tree with one epitem for every file descriptor added with epoll_ctl (EPOLL_CTL_ADD, changed with MOD, removed with DEL); adding one also hooks the callback ep_poll_callback into the file’s wait queue.',
  'When a file wakes its wait queue (data arrived, a FIN, buffer space), the callback puts the epitem on the ready list; it does not look at how much is ready.',
  'epoll_wait takes each item off the ready list, polls the file again, and reports only what is ready now; an item with nothing ready is dropped from the list.',
  'A reported level-triggered item is then put back on the ready list, so the next epoll_wait polls it again and reports it while it stays ready; an EPOLLET (edge-triggered) item stays off the list until the file wakes up again, and an EPOLLONESHOT item is disabled until EPOLL_CTL_MOD re-arms it.',
].join(' ');
