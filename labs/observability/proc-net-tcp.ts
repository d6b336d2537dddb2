import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import {
  parseProcNetTcp,
  parseSsInfo,
  type ProcTcpSocket,
  type SsSocketInfo,
} from '../_lib/observe.ts';
import { round3 } from '../_lib/packets.ts';
import { waitUntil } from '../_lib/wait.ts';
import { clientServer, SERVER } from '../_lib/topology.ts';

const PORT = 5000;
const BACKLOG = 4;
/** Written by the client on connection A and never read by the server. */
const UNREAD = 100;

/** ss writes a listener's wildcard peer as `0.0.0.0:*`, /proc/net/tcp as port 0. */
const samePeer = (ss: string) => ss.replace(/:\*$/, ':0');

/** Every field where /proc/net/tcp and ss disagree about the same socket, as "local>peer field proc/ss". */
function disagreements(proc: ProcTcpSocket[], ss: SsSocketInfo[]): string[] {
  const out: string[] = [];
  for (const p of proc) {
    const s = ss.find((x) => x.local === p.local && samePeer(x.peer) === p.peer);
    const key = `${p.local}>${p.peer}`;
    if (!s) {
      out.push(`${key} missing-in-ss`);
      continue;
    }
    if (s.state !== p.state) out.push(`${key} state ${p.state}/${s.state}`);
    if (s.recvQ !== p.rxQueue) out.push(`${key} rx ${p.rxQueue}/${s.recvQ}`);
    // A listener's Send-Q is its backlog in ss but tx_queue (write_seq - snd_una = 0) in /proc.
    if (p.state !== 'LISTEN' && s.sendQ !== p.txQueue)
      out.push(`${key} tx ${p.txQueue}/${s.sendQ}`);
    if (Number(s.fields.ino ?? 0) !== p.inode)
      out.push(`${key} inode ${p.inode}/${s.fields.ino ?? 0}`);
  }
  if (ss.length !== proc.length) out.push(`count ${proc.length}/${ss.length}`);
  return out;
}

export default defineLab({
  title: '/proc/net/tcp decoded, side by side with ss',
  verifies:
    'Verify: decoding /proc/net/tcp gives the sockets ss lists, with the same states, queues and inodes; only a listener differs (tx_queue 0, ss Send-Q the backlog).',
  takeaway:
    '/proc/net/tcp holds the states, queues and inodes ss shows, in hex, with addresses byte-reversed on little-endian machines; only a listener differs, with tx_queue 0 where ss shows the backlog.',
  probes: ['observability/obs.c'],
  run: async (ctx: LabContext) => {
    const { client, server, capture } = await clientServer(ctx);

    // Server sockets: 0 listener, 1 connection A (never read), 2 connection B (peer closes).
    const srv = ctx.probe(server, 'observability/obs.c', [
      `listen:${SERVER}:${PORT}:${BACKLOG}`,
      'accept:0',
      'accept:0',
      'until:2:CLOSE-WAIT',
    ]);
    await srv.waitFor('listening');
    // Client: A writes 100 bytes; B is closed at once; C stays in the server's accept queue.
    const cli = ctx.probe(client, 'observability/obs.c', [
      `connect:${SERVER}:${PORT}`,
      'established:0',
      `write:0:${UNREAD}`,
      `connect:${SERVER}:${PORT}`,
      'established:1',
      'close:1',
      `connect:${SERVER}:${PORT}`,
      'established:2',
    ]);
    await cli.waitFor('done');
    await srv.waitFor('done');

    // One cat per read (decoded and kept raw), bracketed by the lab clock: the FIN-WAIT-2 timer
    // counts down while a slow machine reads, so the read's moment is part of the observation.
    const read = async (host: typeof client) => {
      const startedS = ctx.elapsed();
      const raw = await host.run(['cat', '/proc/net/tcp']);
      const endedS = ctx.elapsed();
      const ss = parseSsInfo(await host.run(['ss', '-H', '-t', '-a', '-n', '-e']));
      return { proc: parseProcNetTcp(raw), raw, ss, startedS, endedS };
    };
    const aLocal = String(cli.events.find((e) => e.event === 'wrote')?.local);
    const cLocal = String(cli.events.find((e) => e.event === 'connected' && e.sock === 2)?.local);
    let s!: Awaited<ReturnType<typeof read>>;
    let c!: Awaited<ReturnType<typeof read>>;
    // Settled: A's bytes acknowledged (client tx 0), B's FIN turned into a FIN-WAIT-2 timewait socket.
    await waitUntil(
      'A acknowledged and B in FIN-WAIT-2',
      async () => {
        s = await read(server);
        c = await read(client);
        const a = c.proc.find((p) => p.local === aLocal);
        return (
          c.proc.some((p) => p.state === 'FIN-WAIT-2') &&
          (a?.txQueue ?? 1) === 0 &&
          s.proc.some((p) => p.rxQueue === UNREAD)
        );
      },
      10_000,
    );
    await capture.stop();

    const listener = s.proc.find((p) => p.state === 'LISTEN')!;
    const listenerSs = s.ss.find((x) => x.state === 'LISTEN');
    const rawListener =
      s.raw
        .split('\n')
        .find((l) => / 0A /.test(l))
        ?.trim() ?? '';
    const serverRow = (peer: string) => s.proc.find((p) => p.peer === peer);
    const inodeOf = (probe: typeof srv, sock: number) =>
      probe.events.find((e) => e.sock === sock && typeof e.inode === 'number')?.inode;
    const finWait2 = c.proc.find((p) => p.state === 'FIN-WAIT-2');
    // The timer starts when the ACK of B's FIN arrives, just after close(): from the "closing"
    // event to the middle of the cat that read the row (half the cat's duration is the error).
    const closing = cli.events.find((e) => e.event === 'closing' && e.sock === 1)?.t;
    const readAfterS = closing === undefined ? undefined : (c.startedS + c.endedS) / 2 - closing;
    const closeWait = s.proc.find((p) => p.state === 'CLOSE-WAIT');
    return {
      inherentWaitS: 0,
      facts: {
        listenerLine: rawListener,
        listenerHex: rawListener.split(/\s+/)[1],
        listenerLocal: listener.local,
        serverProc: s.proc,
        clientProc: c.proc,
        serverStates: s.proc
          .map((p) => `${p.stateCode.toString(16).toUpperCase().padStart(2, '0')} ${p.state}`)
          .sort(),
        listenerQueues: {
          rxQueue: listener.rxQueue,
          txQueue: listener.txQueue,
          ssRecvQ: listenerSs?.recvQ,
          ssSendQ: listenerSs?.sendQ,
        },
        unreadRxQueue: serverRow(aLocal)?.rxQueue,
        closeWaitQueues: [closeWait?.rxQueue, s.ss.find((x) => x.state === 'CLOSE-WAIT')?.recvQ],
        inodeMatches: [
          listener.inode === inodeOf(srv, 0),
          serverRow(aLocal)?.inode === inodeOf(srv, 1),
          c.proc.find((p) => p.local === aLocal)?.inode === inodeOf(cli, 0),
        ],
        zeroInodes: [
          ...c.proc.filter((p) => p.inode === 0).map((p) => `client ${p.state}`),
          ...s.proc.filter((p) => p.inode === 0).map((p) => `server ${p.state}`),
        ].sort(),
        queuedInodeZeroIsC: serverRow(cLocal)?.inode === 0,
        finWait2: finWait2 && {
          stateCode: finWait2.stateCode,
          timer: finWait2.timer,
          inode: finWait2.inode,
        },
        finWait2Ticks: finWait2?.timerTicks,
        finWait2ReadAfterS: readAfterS === undefined ? undefined : round3(readAfterS),
        finWait2ReadTookS: round3(c.endedS - c.startedS),
        // Ticks left plus the time already run: the length the timer was armed with.
        finWait2ArmedS:
          finWait2?.timerTicks === undefined || readAfterS === undefined
            ? undefined
            : round3(finWait2.timerTicks / 100 + readAfterS),
        uids: [...new Set([...s.proc, ...c.proc].map((p) => p.uid))],
        disagreements: [...disagreements(s.proc, s.ss), ...disagreements(c.proc, c.ss)],
      },
    };
  },
  claims: [
    {
      id: 'address-hex',
      says: `The listener on ${SERVER}:${PORT} is printed as 026433C6:1388: the address's bytes reversed (a little-endian CPU prints the network-order word), the port in plain hex.`,
      fact: 'listenerHex',
      expect: { equals: '026433C6:1388' },
    },
    {
      id: 'address-decoded',
      says: 'Decoding gives back the real address and port.',
      fact: 'listenerLocal',
      expect: { equals: `${SERVER}:${PORT}` },
    },
    {
      id: 'st-codes',
      says: 'st is the kernel state number in hex: 0A LISTEN, 01 ESTABLISHED, 08 CLOSE_WAIT on the server.',
      fact: 'serverStates',
      expect: { equals: ['01 ESTAB', '01 ESTAB', '08 CLOSE-WAIT', '0A LISTEN'] },
    },
    {
      id: 'listener-queues',
      says: 'On the listener rx_queue is the accept queue (1 connection waiting) but tx_queue is 0, where ss shows the backlog in Send-Q.',
      fact: 'listenerQueues',
      expect: { equals: { rxQueue: 1, txQueue: 0, ssRecvQ: 1, ssSendQ: BACKLOG } },
    },
    {
      id: 'unread-rx',
      says: `The accepted connection whose ${UNREAD} bytes nobody read shows rx_queue ${UNREAD} (0x64).`,
      fact: 'unreadRxQueue',
      expect: { equals: UNREAD },
    },
    {
      id: 'close-wait-fin',
      says: "A CLOSE-WAIT socket that never read the peer's FIN shows rx_queue 1 (and ss Recv-Q 1): the FIN takes one sequence number that read() has not consumed.",
      fact: 'closeWaitQueues',
      expect: { equals: [1, 1] },
    },
    {
      id: 'inode',
      says: "The inode column is the socket's inode (fstat on the probe's descriptor gives the same number).",
      fact: 'inodeMatches',
      expect: { equals: [true, true, true] },
    },
    {
      id: 'inode-zero',
      says: "Sockets no file descriptor holds show inode 0: the connection still in the accept queue, and the client's closed connection waiting in FIN-WAIT-2.",
      fact: 'zeroInodes',
      expect: { equals: ['client FIN-WAIT-2', 'server ESTAB'] },
    },
    {
      id: 'fin-wait-2-timer',
      says: 'The closed client connection lives on as a timewait socket in FIN-WAIT-2 (st 05) with timer 3 and tm->when counting down from 60 s in 1/100 s ticks.',
      fact: 'finWait2',
      expect: { equals: { stateCode: 5, timer: 3, inode: 0 } },
    },
    {
      id: 'fin-wait-2-when',
      says: 'Its tm->when counts down from tcp_fin_timeout = 60 s in ticks of USER_HZ = 100: the ticks left plus the seconds between close() and the read make 60 s.',
      fact: 'finWait2ArmedS',
      expect: { between: [59, 61] },
      kernelNote:
        'with tcp_fin_timeout 60 (= TIME-WAIT length) the orphan goes straight to a timewait socket; a larger value keeps a full socket with a keepalive-timer (tr 2) first. The ticks alone depend on how long the lab takes to read the file (about 59.9 s on a fast machine, 48 s under slow emulation)',
    },
    {
      id: 'uid',
      says: "uid is the socket owner's uid as seen from the reader's user namespace: 0 for the lab's root.",
      fact: 'uids',
      expect: { equals: [0] },
    },
    {
      id: 'agrees-with-ss',
      says: "Apart from the listener's Send-Q, every socket in /proc/net/tcp matches ss -tane on local and peer address, state, both queues and inode.",
      fact: 'disagreements',
      expect: { equals: [] },
    },
  ],
});
