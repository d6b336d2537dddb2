import { defineLab } from '../_lib/define.ts';
import { parseSsInfo, type SsSocketInfo } from '../_lib/observe.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';
import type { LabContext, LabEvent } from '../_lib/types.ts';

/** Routed through the server, which drops it: a SYN that is never answered. */
const UNANSWERED = '203.0.113.9';
const PORT = 5000;
const BACKLOG = 4;

/** The fields ss -ti prints next to the TCP_INFO values they come from (misc/ss.c tcp_show_info). */
function compare(ti: LabEvent, ss: SsSocketInfo | undefined): Record<string, [unknown, unknown]> {
  const f = ss?.fields ?? {};
  const [rtt, rttvar] = (f.rtt ?? '/').split('/');
  const opts: string[] = [];
  if (ti.optTimestamps) opts.push('ts');
  if (ti.optSack) opts.push('sack');
  return {
    mss: [ti.sndMss, Number(f.mss)],
    rcvmss: [ti.rcvMss, Number(f.rcvmss)],
    advmss: [ti.advmss, Number(f.advmss)],
    wscale: [`${ti.sndWscale},${ti.rcvWscale}`, f.wscale],
    rto: [(ti.rtoUs as number) / 1000, Number(f.rto)],
    rtt: [(ti.rttUs as number) / 1000, Number(rtt)],
    rttvar: [(ti.rttvarUs as number) / 1000, Number(rttvar)],
    cwnd: [ti.sndCwnd, Number(f.cwnd)],
    options: [
      opts.join(' '),
      (ss?.flags ?? []).filter((x) => x === 'ts' || x === 'sack').join(' '),
    ],
  };
}

export default defineLab({
  title: 'TCP_INFO of a live connection, step by step',
  verifies:
    "Verify: TCP_INFO's tcpi_state is LISTEN (10), SYN-SENT (2), ESTABLISHED (1) and CLOSE-WAIT (8) at the matching steps, and the RTO, RTT, MSS, window scales and options it reports are the values ss -ti prints.",
  takeaway:
    'getsockopt(TCP_INFO) gives a program the state, RTO, RTT, MSS, window scales and options of its own connection, the same numbers ss -i prints; ss shows the ts and sack flags only with -o.',
  probes: ['observability/obs.c'],
  run: async (ctx: LabContext) => {
    const { client, server } = await clientServer(ctx, { capture: false });
    // The server does not forward, and a blackhole route says so explicitly: the SYN dies there.
    await client.run(['ip', 'route', 'add', '203.0.113.0/24', 'via', SERVER]);
    await server.run(['ip', 'route', 'add', 'blackhole', '203.0.113.0/24']);
    const capture = await ctx.capture(client);

    const srv = ctx.probe(server, 'observability/obs.c', [
      `listen:${SERVER}:${PORT}:${BACKLOG}`,
      'accept:0',
      'until:1:CLOSE-WAIT',
    ]);
    const listening = await srv.waitFor('listening');
    // Client: 0 is the unanswered SYN, 1 the real connection, closed after the lab read ss.
    const cli = ctx.probe(client, 'observability/obs.c', [
      `connect:${UNANSWERED}:${PORT}`,
      'info:0',
      `connect:${SERVER}:${PORT}`,
      'established:1',
      'info:1',
      'wait',
      'close:1',
    ]);
    await cli.waitFor('waiting');
    const synSent = await cli.waitFor((e) => e.event === 'info' && e.sock === 0);
    const estab = await cli.waitFor((e) => e.event === 'info' && e.sock === 1);
    // Nothing moves on either socket while the probe waits: ss reads the same state TCP_INFO did.
    // -o: ss prints the ts/sack/ecn flags only when asked for timers too (show_options in misc/ss.c).
    const ss = parseSsInfo(await client.run(['ss', '-H', '-t', '-a', '-n', '-i', '-o']));
    const plain = parseSsInfo(await client.run(['ss', '-H', '-t', '-a', '-n', '-i'])).find(
      (s) => s.peer === `${SERVER}:${PORT}`,
    );
    const ssEstab = ss.find((s) => s.peer === `${SERVER}:${PORT}`);
    const ssSynSent = ss.find((s) => s.peer === `${UNANSWERED}:${PORT}`);
    const ssText = await client.run([
      'ss',
      '-H',
      '-t',
      '-n',
      '-i',
      '-o',
      'dst',
      `${SERVER}:${PORT}`,
    ]);
    cli.signal('SIGUSR1');
    const closeWait = await srv.waitFor('reached');
    await cli.waitFor('closed');
    const packets = await capture.stop();

    const pairs = compare(estab, ssEstab);
    const step = (e: LabEvent) => [e.stateCode, e.state];
    return {
      inherentWaitS: 0,
      facts: {
        states: [step(listening), step(synSent), step(estab), step(closeWait)],
        listenerUnackedSacked: [listening.unacked, listening.sacked],
        synSentRtoUs: synSent.rtoUs,
        synSentBackoff: synSent.backoff,
        // ss runs later than the probe's getsockopt(): on a slow machine after the first SYN
        // retransmission (1 s). Before Linux 6.5 every SYN timeout doubles icsk_rto and counts
        // icsk_backoff, which ss prints; 6.5+ keeps both for the first tcp_syn_linear_timeouts.
        synSentSsRto: Number(ssSynSent?.fields.rto),
        synSentSsBackoff: Number(ssSynSent?.fields.backoff ?? 0),
        synSentSsState: ssSynSent?.state,
        sndMss: estab.sndMss,
        rcvMss: estab.rcvMss,
        advmss: estab.advmss,
        pmtu: estab.pmtu,
        options: estab.options,
        wscale: `${estab.sndWscale},${estab.rcvWscale}`,
        rttUs: estab.rttUs,
        rttvarUs: estab.rttvarUs,
        rtoUs: estab.rtoUs,
        sndCwnd: estab.sndCwnd,
        rcvSpace: estab.rcvSpace,
        tcpInfoVsSs: pairs,
        ssFlagsWithoutO: (plain?.flags ?? []).filter((x) => x === 'ts' || x === 'sack').join(' '),
        ssFlagsWithO: (ssEstab?.flags ?? []).filter((x) => x === 'ts' || x === 'sack').join(' '),
        synMssOption: packets.find((p) => p.tcp?.syn && !p.tcp.ack && p.ip.dst === SERVER)?.tcp
          ?.options.mss,
        ssMismatches: Object.entries(pairs)
          .filter(([, [a, b]]) => a !== b)
          .map(([k]) => k),
        ssText: ssText.trim(),
      },
    };
  },
  claims: [
    {
      id: 'states',
      says: "tcpi_state follows the connection: 10 LISTEN on the listener, 2 SYN-SENT while the SYN is unanswered, 1 ESTABLISHED after the handshake, 8 CLOSE-WAIT once the peer's FIN arrived.",
      fact: 'states',
      expect: {
        equals: [
          [10, 'LISTEN'],
          [2, 'SYN-SENT'],
          [1, 'ESTAB'],
          [8, 'CLOSE-WAIT'],
        ],
      },
    },
    {
      id: 'listener-info',
      says: `On a listener TCP_INFO reuses two fields: tcpi_unacked is the accept queue length (0) and tcpi_sacked the backlog (${BACKLOG}).`,
      fact: 'listenerUnackedSacked',
      expect: { equals: [0, BACKLOG] },
    },
    {
      id: 'syn-sent-rto',
      says: 'In SYN-SENT, right after connect(), the RTO is the initial 1 s: tcpi_rto 1000000 µs with tcpi_backoff 0.',
      observe: (r) => [r.facts.synSentRtoUs, r.facts.synSentBackoff],
      expect: { equals: [1_000_000, 0] },
    },
    {
      id: 'syn-sent-ss-rto',
      says: "ss shows the same socket's RTO in ms, doubled once per backoff it prints: rto / 2^backoff = 1000.",
      observe: (r) => r.facts.synSentSsRto / 2 ** r.facts.synSentSsBackoff,
      expect: { equals: 1000 },
      kernelNote:
        'ss runs after the probe, on a slow machine after the first SYN retransmission (1 s in): before Linux 6.5 each SYN timeout doubles the RTO and counts a backoff (rto:2000 backoff:1), from 6.5 tcp_syn_linear_timeouts keeps rto:1000 and no backoff for the first 4',
    },
    {
      id: 'mss',
      says: 'After the handshake on a 1500-byte link tcpi_snd_mss is 1448 and so is tcpi_advmss: the 1460 announced in the SYN loses the 12 bytes of the timestamp option once timestamps are agreed.',
      observe: (r) => [r.facts.sndMss, r.facts.advmss, r.facts.synMssOption],
      expect: { equals: [1448, 1448, 1460] },
    },
    {
      id: 'rcv-mss',
      says: "tcpi_rcv_mss starts at 536 (TCP_MSS_DEFAULT): it is the receiver's guess of the peer's segment size, learned only from data that arrives.",
      fact: 'rcvMss',
      expect: { equals: 536 },
    },
    {
      id: 'options',
      says: 'tcpi_options shows timestamps, SACK and window scaling negotiated (bits 1|2|4 = 7), window scale 7 both ways with the default buffers.',
      observe: (r) => [r.facts.options, r.facts.wscale],
      expect: { equals: [7, '7,7'] },
      kernelNote:
        'the scale follows tcp_rmem max, which the labs pin to 6291456 (the default up to 6.15); 6.16+ defaults to 33554432, scale 10',
    },
    {
      id: 'rtt',
      says: "tcpi_rtt holds the handshake's RTT sample in µs: tens of microseconds on a veth pair, far below a millisecond.",
      fact: 'rttUs',
      expect: { between: [1, 1000] },
      cost: true,
      kernelNote:
        'a veth round trip is two softirq passes on one machine; a loaded or emulated machine takes longer',
    },
    {
      id: 'ss-agrees',
      says: 'ss -tio prints the same numbers for the same socket: mss, rcvmss, advmss, wscale, rto, rtt/rttvar (ms), cwnd, ts and sack.',
      fact: 'ssMismatches',
      expect: { equals: [] },
    },
    {
      id: 'ss-options-need-o',
      says: 'ss prints the ts and sack flags only with -o: plain ss -ti shows none of them although tcpi_options has them.',
      observe: (r) => [r.facts.ssFlagsWithoutO, r.facts.ssFlagsWithO],
      expect: { equals: ['', 'ts sack'] },
    },
  ],
});
