import { defineLab } from '../_lib/define.ts';
import type { LabContext, Packet } from '../_lib/types.ts';
import { counters } from '../_lib/observe.ts';
import { tcp } from '../_lib/packets.ts';
import { CLIENT, clientServer, SERVER } from '../_lib/topology.ts';
import { windowsFrom } from './_scenario.ts';

/** A: TCP_USER_TIMEOUT; B: none. Both receivers never read. */
const PORT_A = 5502;
const PORT_B = 5503;
const RCVBUF = 65536;
const SNDBUF = 32768;
const TOTAL = 1 << 20;
const USER_TIMEOUT_MS = 3000;

/** Zero-window probes from CLIENT on `port` (empty, one below the acknowledged point) and whether the receiver answered each. */
function probesOn(packets: Packet[], port: number) {
  const segs = tcp(packets).filter((p) => p.tcp.srcPort === port || p.tcp.dstPort === port);
  const zeroAt = windowsFrom(segs, SERVER).find((w) => !w.p.tcp.syn && w.bytes === 0)?.p.t;
  let acked = 0;
  const probes: typeof segs = [];
  for (const p of segs) {
    if (p.ip.src === SERVER && p.tcp.relAck !== undefined) acked = p.tcp.relAck;
    if (
      zeroAt !== undefined &&
      p.ip.src === CLIENT &&
      p.t > zeroAt &&
      p.tcp.payloadLength === 0 &&
      !p.tcp.syn &&
      !p.tcp.fin &&
      !p.tcp.rst &&
      p.tcp.relSeq === acked - 1
    )
      probes.push(p);
  }
  const answered = probes.filter((probe) => {
    const next = segs.find((p) => p.n > probe.n);
    return next !== undefined && next.ip.src === SERVER;
  }).length;
  return { probes: probes.length, answered };
}

export default defineLab({
  title: 'TCP_USER_TIMEOUT ends a zero window whose probes are answered',
  verifies:
    'Verify: a sender stuck behind a zero window whose every probe is answered is never aborted by tcp_retries2, but with TCP_USER_TIMEOUT 3000 ms it fails with ETIMEDOUT about 3 s after its first zero-window probe (Linux 5.11+), while the same connection without the option is still ESTABLISHED.',
  takeaway:
    'A zero window whose probes are answered never times out under tcp_retries2, because each answer resets the count; TCP_USER_TIMEOUT ends it, since Linux 5.11 counting from the first probe.',
  probes: ['flow-control/bulk.c'],
  run: async (ctx: LabContext) => {
    // Every probe answered: no rate limit on ACKs to out-of-window segments (default 500 ms).
    const { client, server, capture } = await clientServer(ctx, {
      server: { 'net.ipv4.tcp_invalid_ratelimit': '0' },
    });
    const sinkA = ctx.probe(server, 'flow-control/bulk.c', ['sink', SERVER, PORT_A, RCVBUF, TOTAL]);
    const sinkB = ctx.probe(server, 'flow-control/bulk.c', ['sink', SERVER, PORT_B, RCVBUF, TOTAL]);
    await Promise.all([sinkA.waitFor('listening'), sinkB.waitFor('listening')]);
    const a = ctx.probe(client, 'flow-control/bulk.c', [
      'stuck',
      SERVER,
      PORT_A,
      SNDBUF,
      USER_TIMEOUT_MS,
    ]);
    const b = ctx.probe(client, 'flow-control/bulk.c', ['stuck', SERVER, PORT_B, SNDBUF, 0]);
    const connectedA = await a.waitFor('connected');
    await Promise.all([a.waitFor('first-probe', 10_000), b.waitFor('first-probe', 10_000)]);
    // A either fails (5.11+) or, on an older kernel, would probe on: give it twice the timeout.
    const failed = await a.waitFor('failed', 2 * USER_TIMEOUT_MS + 2000).catch(() => undefined);
    if (!failed) a.signal('SIGUSR1');
    const aliveA = failed ? undefined : await a.waitFor('alive');
    b.signal('SIGUSR1');
    const aliveB = await b.waitFor('alive');
    const packets = await capture.stop();
    const nstat = await counters(client);
    const pa = probesOn(packets, PORT_A);
    return {
      inherentWaitS: 3.2,
      facts: {
        userTimeoutMs: connectedA.userTimeoutMs,
        congestionControl: connectedA.ca,
        outcome: failed ? failed.errno : aliveA?.state,
        errorSinceFirstProbeMs: failed ? (failed.sinceFirstProbeMs as number) : null,
        probesBeforeError: pa.probes,
        answeredBeforeError: pa.answered,
        tcpiProbesBeforeError: failed ? (failed.lastProbes as number) : null,
        tcpiBackoffBeforeError: failed ? (failed.lastBackoff as number) : null,
        otherState: aliveB.state,
        otherProbes: aliveB.probes,
        otherBackoff: aliveB.backoff,
        otherSinceFirstProbeMs: aliveB.sinceFirstProbeMs,
        winProbes: nstat.TcpExtTCPWinProbe,
        abortOnTimeout: nstat.TcpExtTCPAbortOnTimeout,
      },
    };
  },
  claims: [
    {
      id: 'etimedout',
      says: 'The connection with TCP_USER_TIMEOUT fails with ETIMEDOUT although the receiver is alive and answers.',
      fact: 'outcome',
      expect: { equals: 'ETIMEDOUT' },
      kernel: {
        since: '5.11',
        before: { equals: 'ESTAB' },
        change:
          '"tcp: fix TCP_USER_TIMEOUT with zero window" (9d9b1ee0b2d1, 5.11; stable 5.10.11): tcp_probe_timer() aborts once the user timeout has passed since the first probe (icsk_probes_tstamp); before, only unanswered probes counted',
      },
    },
    {
      id: 'after-timeout',
      says: 'It fails 3 s after its first zero-window probe: the user timeout counts from the first probe, answered or not.',
      fact: 'errorSinceFirstProbeMs',
      expect: { between: [2950, 3600] },
      kernel: {
        since: '5.11',
        before: { equals: null },
        change: 'no error before 9d9b1ee0b2d1 (see above)',
      },
      kernelNote:
        'tcp_clamp_probe0_to_user_timeout() shortens the last probe interval so the abort is not late; timers fire on 4 ms ticks (HZ 250) and late on a loaded machine',
    },
    {
      id: 'answered',
      says: 'Every zero-window probe before the error was answered (the receiver rate-limits nothing here).',
      observe: (r) =>
        r.facts.answeredBeforeError === r.facts.probesBeforeError
          ? r.facts.probesBeforeError
          : `${r.facts.answeredBeforeError} of ${r.facts.probesBeforeError}`,
      expect: { atLeast: 3 },
      kernelNote:
        'the server sets net.ipv4.tcp_invalid_ratelimit to 0; with the 500 ms default some probes get no answer',
    },
    {
      id: 'probes-reset',
      says: 'Just before the error TCP_INFO still read tcpi_probes 0: each answer reset the count that tcp_retries2 limits.',
      fact: 'tcpiProbesBeforeError',
      expect: { equals: 0 },
      kernel: {
        since: '5.11',
        before: { equals: null },
        change: 'no error before 9d9b1ee0b2d1 (see above)',
      },
    },
    {
      id: 'other-alive',
      says: 'The same connection without TCP_USER_TIMEOUT is still ESTABLISHED at that moment, with tcpi_probes 0: answered probes never exhaust tcp_retries2.',
      observe: (r) => [r.facts.otherState, r.facts.otherProbes],
      expect: { equals: ['ESTAB', 0] },
    },
    {
      id: 'counted',
      says: 'nstat counts one abort on timeout (TcpExtTCPAbortOnTimeout) in the sender’s namespace.',
      fact: 'abortOnTimeout',
      expect: { equals: 1 },
      kernel: {
        since: '5.11',
        before: { equals: 0 },
        change: 'no abort before 9d9b1ee0b2d1 (see above)',
      },
    },
  ],
});
