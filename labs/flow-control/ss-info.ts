/**
 * `ss -tin` for this chapter: the established sockets with the numeric `key:value` fields of
 * their internals line (rcv_space, snd_wnd, cwnd, ...), on top of the shared `parseSsInfo`.
 */
import type { Host } from '../_lib/context.ts';
import { parseSsInfo, type SsSocketInfo } from '../_lib/observe.ts';

export type SsInfo = SsSocketInfo & {
  /** Numeric `key:value` fields of the info line, e.g. cwnd, rcv_space, snd_wnd, rto, mss. */
  info: Record<string, number>;
};

/** The host's established TCP sockets with their internal information. */
export async function ssInfo(host: Host): Promise<SsInfo[]> {
  return parseSsInfo(await host.run(['ss', '-H', '-t', '-i', '-n', '-a']))
    .filter((s) => s.state === 'ESTAB')
    .map((s) => ({
      ...s,
      info: Object.fromEntries(
        Object.entries(s.fields)
          .filter(([, v]) => /^\d+(\.\d+)?$/.test(v))
          .map(([k, v]) => [k, Number(v)]),
      ),
    }));
}
