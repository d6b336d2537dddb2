import { describe, expect, it } from 'vitest';
import {
  arrow,
  arrowHeads,
  drawingProblems,
  MIN_FONT,
  text,
  textBounds,
  textRuns,
  textWidth,
  type Drawing,
  type TextShape,
} from '../../src/components/diagrams/draw.ts';
import {
  queues,
  synAcceptNarrow,
  synAcceptWide,
} from '../../src/components/diagrams/syn-accept.ts';
import {
  buffers,
  fourBuffersNarrow,
  fourBuffersWide,
} from '../../src/components/diagrams/four-buffers.ts';
import {
  depth,
  epollNarrow,
  epollWide,
  interestTree,
  readyList,
} from '../../src/components/diagrams/epoll-lists.ts';
import {
  boxes,
  checkHighlight,
  geometries,
  layoutStates,
  rfcName,
  STATES,
  transitions,
} from '../../src/components/diagrams/tcp-states.ts';

const texts = (d: Drawing) => d.shapes.filter((s): s is TextShape => s.kind === 'text');
const allText = (d: Drawing) =>
  texts(d)
    .flatMap((t) => t.lines)
    .join(' ')
    .replace(/`/g, '');

/** The checks every layout passes, wide and narrow. */
function checkLayouts(name: string, wide: Drawing, narrow: Drawing) {
  describe(`${name} layouts`, () => {
    it('keeps every shape inside the viewBox, text apart and within or outside each box', () => {
      expect(drawingProblems(wide)).toEqual([]);
      expect(drawingProblems(narrow)).toEqual([]);
    });

    it('fits the widths the figure switches between', () => {
      expect(wide.width).toBeLessThanOrEqual(600);
      expect(narrow.width).toBeLessThanOrEqual(360);
    });

    it(`never sets text below ${MIN_FONT} units`, () => {
      for (const t of [...texts(wide), ...texts(narrow)])
        expect(t.size).toBeGreaterThanOrEqual(MIN_FONT);
    });
  });
}

describe('diagram drawing primitives', () => {
  it('splits backtick spans into code runs', () => {
    expect(textRuns('a `ss -lnt` b')).toEqual([
      { text: 'a ', code: false },
      { text: 'ss -lnt', code: true },
      { text: ' b', code: false },
    ]);
  });

  it('estimates code at the monospace advance and wide letters wider than narrow ones', () => {
    expect(textWidth('`abcd`', 10)).toBeCloseTo(24.4);
    expect(textWidth('mmmm', 10)).toBeGreaterThan(textWidth('iiii', 10) * 2);
  });

  it('places the bounds of end-anchored text to the left of x', () => {
    const b = textBounds(text(100, 50, 'abc', 10, { anchor: 'end' }));
    expect(b.x + b.w).toBeCloseTo(100);
    expect(b.y).toBeLessThan(50);
  });

  it('points an arrowhead along the last segment', () => {
    const [tip] = arrowHeads(
      arrow(
        [
          [0, 0],
          [10, 0],
          [10, 30],
        ],
        'plain',
      ),
    );
    expect(tip![0]).toEqual([10, 30]);
    expect(tip![1]![1]).toBeLessThan(30);
    expect(
      arrowHeads(
        arrow(
          [
            [0, 0],
            [10, 0],
          ],
          'plain',
          { heads: 'both' },
        ),
      ),
    ).toHaveLength(2);
  });

  it('reports text that overlaps other text, crosses a box or leaves the viewBox', () => {
    const problems = drawingProblems({
      width: 100,
      height: 60,
      shapes: [
        { kind: 'box', x: 10, y: 10, w: 40, h: 30, tone: 'plain', key: 'b' },
        text(30, 30, 'crossing the edge', 12),
        text(32, 32, 'on top', 12),
        text(2, 58, 'too small', 8),
      ],
    });
    expect(problems.join('\n')).toMatch(/crosses box b/);
    expect(problems.join('\n')).toMatch(/overlaps/);
    expect(problems.join('\n')).toMatch(/leaves the viewBox/);
    expect(problems.join('\n')).toMatch(/smaller than/);
  });
});

describe('SYN queue and accept queue diagram', () => {
  it('states the backlog + 1 limit and the overflow behaviour of each queue', () => {
    const [syn, accept] = queues;
    expect(syn.limit).toMatch(/backlog \+ 1/);
    expect(accept.limit).toMatch(/backlog \+ 1/);
    expect(syn.whenFull.join(' ')).toMatch(/tcp_syncookies=1.*cookie.*tcp_syncookies=0.*dropped/);
    expect(accept.whenFull.join(' ')).toMatch(
      /SYN: dropped.*ACK: dropped.*RST.*tcp_abort_on_overflow=1/,
    );
    expect(accept.ss.join(' ')).toMatch(/Recv-Q = its length.*Send-Q = backlog/);
  });

  it('draws both queues, the SYN in, the final ACK between them and accept() out', () => {
    for (const d of [synAcceptWide(), synAcceptNarrow()]) {
      const keys = d.shapes.map((s) => s.key);
      expect(keys).toEqual(
        expect.arrayContaining(['syn', 'accept', 'listener', 'syn-in', 'final-ack']),
      );
      expect(allText(d)).toMatch(/somaxconn/);
    }
  });
});

checkLayouts('SYN queue and accept queue', synAcceptWide(), synAcceptNarrow());

describe('four buffers diagram', () => {
  it('splits each buffer into parts that fill its bar exactly', () => {
    for (const b of Object.values(buffers)) {
      expect(b.parts.reduce((sum, p) => sum + p.share, 0)).toBeCloseTo(1);
    }
  });

  it('names where ss shows each buffer and what limits the sender', () => {
    expect(buffers.send.notes.join(' ')).toMatch(/Send-Q = in flight \+ unsent/);
    expect(buffers.send.notes.join(' ')).toMatch(/min\(`cwnd`, `rwnd`\)/);
    expect(buffers.send.notes.join(' ')).toMatch(/w queued, tb size/);
    expect(buffers.receive.notes.join(' ')).toMatch(/Recv-Q = unread bytes/);
    expect(buffers.receive.notes.join(' ')).toMatch(/r queued, rb size/);
  });

  it('draws four buffers and a data and an ACK arrow for each direction', () => {
    for (const d of [fourBuffersWide(), fourBuffersNarrow()]) {
      const bufferBoxes = d.shapes.filter(
        (s) => s.kind === 'box' && /-(send|receive)$/.test(s.key ?? ''),
      );
      expect(bufferBoxes).toHaveLength(4);
      const arrows = d.shapes.filter((s) => s.kind === 'arrow').map((s) => s.key);
      expect(arrows.filter((k) => k?.endsWith('-data'))).toHaveLength(2);
      expect(arrows.filter((k) => k?.endsWith('-ack'))).toHaveLength(2);
    }
  });

  it('points data from a send buffer to a receive buffer in the wide layout', () => {
    const d = fourBuffersWide();
    const boxAt = (x: number, y: number) =>
      d.shapes.find(
        (s) =>
          s.kind === 'box' &&
          !s.frame &&
          /-(send|receive)$/.test(s.key ?? '') &&
          x >= s.x - 1 &&
          x <= s.x + s.w + 1 &&
          y >= s.y &&
          y <= s.y + s.h,
      )?.key;
    for (const a of d.shapes.filter((s) => s.kind === 'arrow' && s.key?.endsWith('-data'))) {
      if (a.kind !== 'arrow') continue;
      const [start, end] = [a.points[0]!, a.points[a.points.length - 1]!];
      expect(boxAt(...start)).toMatch(/send$/);
      expect(boxAt(...end)).toMatch(/receive$/);
    }
  });
});

checkLayouts('four buffers', fourBuffersWide(), fourBuffersNarrow());

describe('epoll lists diagram', () => {
  it('draws a binary tree: one root, at most two children per node, three levels', () => {
    expect(interestTree.filter((n) => n.parent === null)).toHaveLength(1);
    for (const n of interestTree) {
      expect(interestTree.filter((c) => c.parent === n.fd).length).toBeLessThanOrEqual(2);
      expect(depth(n.fd)).toBeLessThanOrEqual(2);
    }
  });

  it('puts exactly the ready epitems of the tree on the ready list', () => {
    const readyInTree = interestTree.filter((n) => n.ready).map((n) => n.fd);
    expect([...readyList].sort()).toEqual(readyInTree.sort());
  });

  it('draws each epitem once in the tree and each ready one again in the ready list', () => {
    for (const d of [epollWide(), epollNarrow()]) {
      const keys = d.shapes.map((s) => s.key);
      for (const n of interestTree)
        expect(keys.filter((k) => k === `tree-${n.fd}`)).toHaveLength(1);
      for (const fd of readyList) expect(keys).toContain(`ready-${fd}`);
      expect(keys).toEqual(
        expect.arrayContaining(['ctl', 'wait', 'hook', 'wake', 'level-requeue']),
      );
    }
  });

  it('says what level-triggered and edge-triggered epoll do after reporting an item', () => {
    const t = allText(epollWide());
    expect(t).toMatch(/level-triggered: puts it back/);
    expect(t).toMatch(/EPOLLET: leaves it off until the file wakes up again/);
    expect(t).toMatch(/red-black tree/);
  });
});

checkLayouts('epoll lists', epollWide(), epollNarrow());

describe('TCP state machine diagram', () => {
  const all = new Set(STATES);

  it('has a box for every state, and CLOSED twice as in the RFC figure', () => {
    for (const state of STATES) expect(boxes.some((b) => b.state === state)).toBe(true);
    expect(boxes.filter((b) => b.state === 'CLOSED')).toHaveLength(2);
    expect(new Set(boxes.map((b) => b.id)).size).toBe(boxes.length);
  });

  it('puts no two boxes in the same grid cell', () => {
    expect(new Set(boxes.map((b) => `${b.col},${b.row}`)).size).toBe(boxes.length);
  });

  it('connects every transition between two known boxes, each pair once', () => {
    const ids = new Set(boxes.map((b) => b.id));
    for (const t of transitions) {
      expect(ids.has(t.from), t.id).toBe(true);
      expect(ids.has(t.to), t.id).toBe(true);
      expect(t.from).not.toBe(t.to);
    }
    expect(new Set(transitions.map((t) => `${t.from}>${t.to}`)).size).toBe(transitions.length);
  });

  it('draws the 20 transitions of RFC 9293 Figure 5, with its events and actions', () => {
    expect(transitions).toHaveLength(20);
    const label = (from: string, to: string) => {
      const t = transitions.find((x) => x.from === from && x.to === to);
      return t && `${t.event} / ${t.action || 'x'}`;
    };
    expect(label('listen', 'syn-recv')).toBe('rcv SYN / snd SYN,ACK');
    expect(label('syn-sent', 'syn-recv')).toBe('rcv SYN / snd SYN,ACK');
    expect(label('syn-sent', 'estab')).toBe('rcv SYN,ACK / snd ACK');
    expect(label('syn-recv', 'estab')).toBe('rcv ACK of SYN / x');
    expect(label('estab', 'close-wait')).toBe('rcv FIN / snd ACK');
    expect(label('fin-wait-1', 'fin-wait-2')).toBe('rcv ACK of FIN / x');
    expect(label('time-wait', 'closed-end')).toBe('Timeout=2MSL / delete TCB');
  });

  it('leaves every state reachable from the top CLOSED box', () => {
    const seen = new Set(['closed']);
    for (let grew = true; grew;) {
      grew = false;
      for (const t of transitions) {
        if (seen.has(t.from) && !seen.has(t.to)) {
          seen.add(t.to);
          grew = true;
        }
      }
    }
    expect([...seen].sort()).toEqual(boxes.map((b) => b.id).sort());
  });

  it('draws the RFC names in the boxes', () => {
    expect(rfcName.ESTAB).toBe('ESTABLISHED');
    expect(rfcName['SYN-RECV']).toBe('SYN-RECEIVED');
    const names = texts(layoutStates(geometries.wide, new Set())).map((t) => t.lines.join(' '));
    for (const b of boxes) expect(names).toContain(rfcName[b.state]);
  });

  it('starts and ends every arrow on the edge of the boxes it connects', () => {
    for (const g of Object.values(geometries)) {
      const d = layoutStates(g, new Set());
      const rectOf = (id: string) => d.shapes.find((s) => s.kind === 'box' && s.key === id);
      const onEdge = (p: [number, number], id: string) => {
        const r = rectOf(id);
        if (r?.kind !== 'box') return false;
        const within = (v: number, a: number, b: number) => v >= a - 0.5 && v <= b + 0.5;
        const near = (v: number, e: number) => Math.abs(v - e) < 0.5;
        return (
          (within(p[0], r.x, r.x + r.w) && (near(p[1], r.y) || near(p[1], r.y + r.h))) ||
          (within(p[1], r.y, r.y + r.h) && (near(p[0], r.x) || near(p[0], r.x + r.w)))
        );
      };
      for (const t of transitions) {
        const a = d.shapes.find((s) => s.kind === 'arrow' && s.key === t.id);
        if (a?.kind !== 'arrow') throw new Error(`no arrow for ${t.id}`);
        expect(onEdge(a.points[0]!, t.from), `${t.id} starts on ${t.from}`).toBe(true);
        expect(onEdge(a.points[a.points.length - 1]!, t.to), `${t.id} ends on ${t.to}`).toBe(true);
      }
    }
  });

  it('outlines exactly the highlighted states, both CLOSED boxes for CLOSED', () => {
    const d = layoutStates(geometries.wide, checkHighlight(['ESTAB', 'CLOSED']));
    const strong = d.shapes.filter((s) => s.kind === 'box' && s.strong).map((s) => s.key);
    expect(strong.sort()).toEqual(['closed', 'closed-end', 'estab']);
  });

  it('accepts every state name ss prints, and UNCONN for CLOSED', () => {
    expect(checkHighlight([...STATES])).toEqual(all);
    expect(checkHighlight([])).toEqual(new Set());
    expect(checkHighlight(['UNCONN', 'ESTAB'])).toEqual(new Set(['CLOSED', 'ESTAB']));
  });

  it('throws on an unknown state name, listing the allowed ones', () => {
    expect(() => checkHighlight(['ESTABLISHED', 'SYN-RECV'])).toThrow(
      /unknown state "ESTABLISHED" in highlight; use the names ss prints: CLOSED, LISTEN, SYN-SENT, SYN-RECV, ESTAB, FIN-WAIT-1, FIN-WAIT-2, CLOSING, TIME-WAIT, CLOSE-WAIT, LAST-ACK, UNCONN \(= CLOSED\)/,
    );
    expect(() => checkHighlight(['estab', 'TIME_WAIT'])).toThrow(
      /unknown states "estab", "TIME_WAIT"/,
    );
  });
});

checkLayouts(
  'TCP state machine',
  layoutStates(geometries.wide, new Set(STATES)),
  layoutStates(geometries.narrow, new Set(STATES)),
);
