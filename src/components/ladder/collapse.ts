/**
 * Finds runs of repeated packets in a ladder: a flood of identical datagrams (a unit of one
 * packet), a reconnect loop's SYN → RST pairs (a unit of two), a burst of handshakes (three or
 * four). Packets are compared by a signature the caller builds (direction, flags, length: not
 * sequence numbers, ports or times), so the runs are what a reader would call "the same again".
 */

/** `repeats` back-to-back copies of the `unit` signatures starting at `start`. */
export interface Repeat {
  start: number;
  unit: number;
  repeats: number;
}

export interface RepeatOptions {
  /** Longest unit tried, in packets. */
  maxUnit: number;
  /** Fewest repetitions worth collapsing: the first and last stay drawn, so 3 would save nothing. */
  minRepeats: number;
}

/** Rows a repeat saves when only its first and last unit stay drawn plus one summary row. */
export function rowsSaved(r: Repeat): number {
  return r.unit * (r.repeats - 2) - 1;
}

/**
 * Non-overlapping repeats, scanning left to right: at each position the unit length that saves
 * the most rows wins (a flood of one datagram beats "pairs of datagrams"), and the scan resumes
 * after it. Positions no repeat starts at are skipped one by one.
 */
export function findRepeats(sigs: string[], opts: RepeatOptions): Repeat[] {
  const found: Repeat[] = [];
  const sameUnit = (a: number, b: number, k: number) => {
    for (let j = 0; j < k; j++) if (sigs[a + j] !== sigs[b + j]) return false;
    return true;
  };
  let i = 0;
  while (i < sigs.length) {
    let best: Repeat | undefined;
    for (let k = 1; k <= opts.maxUnit && i + 2 * k <= sigs.length; k++) {
      let repeats = 1;
      while (i + (repeats + 1) * k <= sigs.length && sameUnit(i, i + repeats * k, k)) repeats++;
      const r = { start: i, unit: k, repeats };
      if (
        repeats >= opts.minRepeats &&
        rowsSaved(r) > 0 &&
        rowsSaved(r) > (best ? rowsSaved(best) : 0)
      )
        best = r;
    }
    if (best) {
      found.push(best);
      i += best.unit * best.repeats;
    } else i++;
  }
  return found;
}
