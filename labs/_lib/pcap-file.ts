/** Joining pcap files written by the capture probe (same link type and byte order). */

const GLOBAL_HEADER = 24;

/** One pcap holding every packet of the given captures, in order; undefined when there are none. */
export function concatPcaps(files: Buffer[]): Buffer | undefined {
  if (files.length === 0) return undefined;
  return Buffer.concat([files[0], ...files.slice(1).map((f) => f.subarray(GLOBAL_HEADER))]);
}
