import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { counters, parseSs, parseSsInfo, type SsSocketInfo } from '../_lib/observe.ts';
import { waitUntil } from '../_lib/wait.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const QUEUED_PORT = 5000;
const BACKLOG = 3;
const STREAM_PORT = 5001;
/** SO_RCVBUF asked for on the receiving listener (inherited by the accepted socket). */
const RCVBUF = 4096;
/** More than the send buffer can take: the write stops at EAGAIN. */
const WRITE = 1_000_000;

const num = (s: SsSocketInfo | undefined, key: string) =>
  s?.fields[key] === undefined ? undefined : Number(s.fields[key]);

export default defineLab({
  title: 'ss Recv-Q and Send-Q: listener vs connection',
  verifies:
    "Verify: on LISTEN, ss Recv-Q is the accept queue length and Send-Q the backlog; on ESTAB, Recv-Q is unread bytes and Send-Q unacknowledged bytes, and a stalled receiver's Recv-Q plus its sender's Send-Q equals the bytes written.",
  takeaway:
    "In ss, a listener's Recv-Q is its accept queue and its Send-Q the backlog; a connection's Recv-Q is bytes not yet read and its Send-Q bytes not yet acknowledged, sent or not.",
  probes: ['observability/obs.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);

    // Sockets on the server: 0 queued listener, 1 receiving listener, 2 the accepted receiver.
    const srv = ctx.probe(server, 'observability/obs.c', [
      `listen:${SERVER}:${QUEUED_PORT}:${BACKLOG}`,
      `listen:${SERVER}:${STREAM_PORT}:1:${RCVBUF}`,
      'accept:1',
    ]);
    await srv.waitFor((e) => e.event === 'listening' && e.sock === 1);
    // On the client: 0 and 1 wait in the server's accept queue, 2 writes until EAGAIN.
    const cli = ctx.probe(client, 'observability/obs.c', [
      `connect:${SERVER}:${QUEUED_PORT}`,
      'established:0',
      `connect:${SERVER}:${QUEUED_PORT}`,
      'established:1',
      `connect:${SERVER}:${STREAM_PORT}`,
      'established:2',
      `write:2:${WRITE}`,
    ]);
    const wrote = await cli.waitFor('wrote');
    await srv.waitFor('done');
    const written = wrote.bytes as number;

    // The stall is complete when every written byte sits in one of the two queues: unread at the
    // receiver or unacknowledged at the sender. Wait for that state, not for a time.
    let serverSockets: SsSocketInfo[] = [];
    let clientSockets: SsSocketInfo[] = [];
    const streamOf = (list: SsSocketInfo[], end: 'local' | 'peer') =>
      list.find((s) => s.state === 'ESTAB' && s[end] === `${SERVER}:${STREAM_PORT}`);
    await waitUntil(
      'the written bytes to settle into Recv-Q and Send-Q',
      async () => {
        serverSockets = parseSsInfo(await server.run(['ss', '-H', '-t', '-a', '-n', '-i', '-m']));
        clientSockets = parseSsInfo(
          await client.run(['ss', '-H', '-t', '-a', '-n', '-i', '-m', '-o']),
        );
        const rq = streamOf(serverSockets, 'local')?.recvQ ?? 0;
        const sq = streamOf(clientSockets, 'peer')?.sendQ ?? 0;
        return (
          rq > 0 &&
          rq + sq === written &&
          /^\(persist,/.test(streamOf(clientSockets, 'peer')?.fields.timer ?? '')
        );
      },
      15_000,
    );
    // The sender probes the shut window once per persist timeout (about 200 ms, doubling): wait
    // for its first probe, a bare ACK one byte below the receiver's rcv_nxt (relative sequence
    // 1 + Recv-Q), so the capture holds one however fast the rest runs.
    const unreadBytes = streamOf(serverSockets, 'local')?.recvQ ?? 0;
    await capture
      .waitForPacket(
        (p) =>
          p.ip.dst === SERVER &&
          p.tcp?.dstPort === STREAM_PORT &&
          p.tcp.payloadLength === 0 &&
          p.tcp.flags === '.' &&
          p.tcp.relSeq === unreadBytes,
        5000,
      )
      .catch(() => undefined); // none: the probes-dropped claim fails with the count
    const serverRows = parseSs(await server.run(['ss', '-H', '-t', '-a', '-n']));
    const filteredText = await client.run([
      'ss',
      '-H',
      '-t',
      '-n',
      'state',
      'established',
      '(',
      'dport',
      '=',
      `:${STREAM_PORT}`,
      ')',
    ]);
    const listeningText = await server.run(['ss', '-H', '-t', '-n', 'state', 'listening']);
    // The receiver's drop count just before and just after the capture stops: the sender's
    // zero-window probes keep arriving (each one a drop), so the capture's count of discarded
    // segments must lie between the two.
    const receiverDropsNow = async () =>
      parseSsInfo(
        await server.run(['ss', '-H', '-t', '-n', '-m', 'src', `${SERVER}:${STREAM_PORT}`]),
      ).find((x) => x.state === 'ESTAB')?.skmem?.d;
    const dropsBeforeStop = await receiverDropsNow();
    const packets = await capture.stop();
    const dropsAfterStop = await receiverDropsNow();
    // Where the receiver's drops were counted (tcp_data_queue(), tcp_data_queue_ofo(),
    // tcp_prune_queue(), tcp_add_backlog()): nonzero counters only. A fresh namespace starts at 0.
    const serverCounters = await counters(server);
    const receiverDropCounters = Object.fromEntries(
      [
        'TcpExtTCPZeroWindowDrop',
        'TcpExtTCPRcvQDrop',
        'TcpExtTCPOFODrop',
        'TcpExtTCPBacklogDrop',
        'TcpExtRcvPruned',
        'TcpExtOfoPruned',
      ]
        .filter((k) => serverCounters[k])
        .map((k) => [k, serverCounters[k]]),
    );

    // What the receiver must have discarded, from the capture: data segments whose bytes it had
    // already received (tcp_data_queue(): dropped, answered with a D-SACK), and the sender's
    // zero-window probes, bare ACKs with sequence rcv_nxt - 1 (tcp_xmit_probe_skb()) that fail
    // tcp_sequence() in tcp_validate_incoming(): dropped, answered with a plain duplicate ACK.
    let received = 1; // relative sequence after the SYN
    let duplicates = 0;
    let windowProbes = 0;
    for (const p of packets) {
      const tcp = p.tcp;
      if (!tcp || p.ip.dst !== SERVER || tcp.dstPort !== STREAM_PORT) continue;
      if (tcp.syn || tcp.fin || tcp.rst) continue;
      const end = tcp.relSeq + tcp.payloadLength;
      if (tcp.payloadLength > 0 && end <= received) duplicates++;
      else if (tcp.payloadLength === 0 && tcp.relSeq < received) windowProbes++;
      received = Math.max(received, end);
    }

    const listener = (port: number) =>
      serverRows.find((s) => s.state === 'LISTEN' && s.local === `${SERVER}:${port}`);
    const receiver = streamOf(serverSockets, 'local');
    const sender = streamOf(clientSockets, 'peer');
    const senderTimer = sender?.fields.timer;
    return {
      inherentWaitS: 0,
      facts: {
        written,
        queuedListener: [listener(QUEUED_PORT)?.recvQ, listener(QUEUED_PORT)?.sendQ],
        acceptedListener: [listener(STREAM_PORT)?.recvQ, listener(STREAM_PORT)?.sendQ],
        queuedEstablished: serverRows.filter(
          (s) => s.state === 'ESTAB' && s.local === `${SERVER}:${QUEUED_PORT}`,
        ).length,
        receiverRecvQ: receiver?.recvQ,
        receiverSendQ: receiver?.sendQ,
        receiverRb: receiver?.skmem?.rb,
        receiverSkmemR: receiver?.skmem?.r,
        receiverDrops: receiver?.skmem?.d,
        receiverDropCounters,
        // tcp_data_queue(): a segment entirely below rcv_nxt is a duplicate, dropped (skmem d)
        // and answered with a D-SACK.
        receiverDsackOldSent: serverCounters.TcpExtTCPDSACKOldSent ?? 0,
        receiverDropsBeforeStop: dropsBeforeStop,
        receiverDropsAfterStop: dropsAfterStop,
        capturedDuplicates: duplicates,
        capturedWindowProbes: windowProbes,

        senderBytesRetrans: num(sender, 'bytes_retrans') ?? 0,
        receiverRcvSpace: num(receiver, 'rcv_space'),
        senderSendQ: sender?.sendQ,
        senderRecvQ: sender?.recvQ,
        senderNotsent: num(sender, 'notsent'),
        senderSndWnd: num(sender, 'snd_wnd'),
        senderCwnd: num(sender, 'cwnd'),
        senderMss: num(sender, 'mss'),
        senderTb: sender?.skmem?.tb,
        senderSkmemW: sender?.skmem?.w,
        senderTimer: senderTimer ? /^\((\w+)/.exec(senderTimer)?.[1] : undefined,
        senderTimerRaw: senderTimer,
        filtered: parseSsInfo(filteredText).map((s) => ({ state: s.state ?? null, peer: s.peer })),
        listening: parseSsInfo(listeningText).map((s) => [s.local, s.recvQ, s.sendQ]),
        ssReceiver: serverSockets.length
          ? (
              await server.run([
                'ss',
                '-H',
                '-t',
                '-n',
                '-i',
                '-m',
                'state',
                'established',
                'src',
                `${SERVER}:${STREAM_PORT}`,
              ])
            ).trim()
          : '',
        ssSender: (
          await client.run(['ss', '-H', '-t', '-n', '-i', '-m', 'dst', `${SERVER}:${STREAM_PORT}`])
        ).trim(),
      },
    };
  },
  claims: [
    {
      id: 'listen-queue',
      says: `A listener with backlog ${BACKLOG} and two connections nobody accepted shows Recv-Q 2 (accept queue) and Send-Q ${BACKLOG} (the backlog).`,
      fact: 'queuedListener',
      expect: { equals: [2, BACKLOG] },
    },
    {
      id: 'listen-accepted',
      says: 'A listener with backlog 1 whose connection was accepted shows Recv-Q 0, Send-Q 1.',
      fact: 'acceptedListener',
      expect: { equals: [0, 1] },
    },
    {
      id: 'queued-are-established',
      says: 'The connections waiting in the accept queue are already ESTAB on the server (ss lists them, no process owns them yet).',
      fact: 'queuedEstablished',
      expect: { equals: 2 },
    },
    {
      id: 'unread-recvq',
      says: `The receiver that never reads shows unread bytes in Recv-Q, at most its receive buffer (SO_RCVBUF ${RCVBUF} doubled to skmem rb ${2 * RCVBUF}).`,
      fact: 'receiverRecvQ',
      expect: { between: [1, 2 * RCVBUF] },
    },
    {
      id: 'rcvbuf-doubled',
      says: `SO_RCVBUF ${RCVBUF} shows as skmem rb:${2 * RCVBUF}: the kernel doubles the value for its bookkeeping overhead.`,
      fact: 'receiverRb',
      expect: { equals: 2 * RCVBUF },
    },
    {
      id: 'sendq-rest',
      says: "The sender's Send-Q holds everything written that the receiver has not acknowledged: Recv-Q + Send-Q − bytes written = 0.",
      observe: (r) =>
        (r.facts.receiverRecvQ as number) +
        (r.facts.senderSendQ as number) -
        (r.facts.written as number),
      expect: { equals: 0 },
    },
    {
      id: 'drops-are-discards',
      says: "The receiver's drop count (skmem d) counts segments it discarded on purpose, none for want of buffer: retransmitted bytes it already held (each answered with a D-SACK, TcpExtTCPDSACKOldSent) and the sender's zero-window probes (bare ACKs one byte below rcv_nxt). d read before and after the capture stopped brackets the duplicates plus probes the capture shows, D-SACKs equal the duplicates, and no buffer-drop counter moved.",
      observe: (r) => {
        const f = r.facts;
        const discards = f.capturedDuplicates + f.capturedWindowProbes;
        const before = f.receiverDropsBeforeStop ?? NaN;
        const after = f.receiverDropsAfterStop ?? NaN;
        return {
          // Drops d counted that the capture does not explain (> 0), or discards d missed (< 0).
          unexplained:
            before > discards ? before - discards : after < discards ? after - discards : 0,
          dsacksMinusDuplicates: f.receiverDsackOldSent - f.capturedDuplicates,
          bufferDrops: f.receiverDropCounters,
        };
      },
      expect: { equals: { unexplained: 0, dsacksMinusDuplicates: 0, bufferDrops: {} } },
      kernelNote:
        'how many of each depends on timing (a tail-loss probe racing the delayed ACK; one probe per persist timeout, 200 ms doubling), not on the kernel: the same on 6.1, 6.12 and 6.18. Buffer drops would show in TcpExtTCPZeroWindowDrop, TCPRcvQDrop, TCPOFODrop, TCPBacklogDrop, RcvPruned or OfoPruned',
    },
    {
      id: 'probes-dropped',
      says: 'The zero-window probes are among the drops: the capture shows at least one, sent while the window was shut.',
      fact: 'capturedWindowProbes',
      expect: { atLeast: 1 },
    },
    {
      id: 'zero-window',
      says: 'The sender faces a zero window: ss -o shows its persist (zero-window probe) timer, and ss -i prints no snd_wnd at all (it omits a zero).',
      observe: (r) => [r.facts.senderTimer, r.facts.senderSndWnd ?? null],
      expect: { equals: ['persist', null] },
    },
    {
      id: 'sendq-not-in-flight',
      says: 'Send-Q is not "bytes in flight": with the window shut, all of it is data never sent (ss -i notsent equals Send-Q).',
      observe: (r) => (r.facts.senderSendQ as number) - (r.facts.senderNotsent as number),
      expect: { equals: 0 },
    },
    {
      id: 'mss',
      says: 'ss -i reports the MSS on the 1500-byte veth: 1448 bytes (1500 − 20 IP − 20 TCP − 12 timestamps).',
      fact: 'senderMss',
      expect: { equals: 1448 },
    },
    {
      id: 'filter',
      says: "ss -t state established '( dport = :5001 )' keeps only the sender's stalled connection, and prints no State column.",
      fact: 'filtered',
      expect: { equals: [{ state: null, peer: `${SERVER}:${STREAM_PORT}` }] },
    },
  ],
});
