import type { Host, LabContext } from '../_lib/types.ts';
import { defineLab } from '../_lib/define.ts';
import { tcp } from '../_lib/packets.ts';
import { tcpSockets } from '../_lib/observe.ts';
import type { LabEvent } from '../_lib/types.ts';
import { monitorEvents, names, zmqSocket, type ZmqConfig } from './_scenario.ts';

const TARGET = 40500;
const RANGE = '40490 40510';
/** Lowered from 30 s so that a handshake that stalls would end inside the watch. */
const HANDSHAKE_IVL_MS = 1000;
/** How long to watch after the self-connection for a FIN or a new attempt: 3 handshake intervals. */
const WATCH_MS = 3000;
const TYPES: ZmqConfig['type'][] = ['dealer', 'pair', 'req', 'sub', 'push'];

interface Outcome {
  selfConnected: boolean;
  attemptsBefore: number;
  /** Sum of the reconnect intervals libzmq announced before the self-connection, in seconds. */
  retryWaitS: number;
  eventsAfterSelf: string[];
  echo: string | null;
  readyBytes: number | undefined;
  finAfterSelf: boolean;
  retriedWithinWatch: boolean;
  ssState: string;
  selfFlags: string[];
  /** zmq_version() of the library the probe loaded. */
  libzmq: string;
}

const per = (type: string, key: keyof Outcome) => (r: { facts: Record<string, unknown> }) =>
  (r.facts[type] as Outcome)[key];

export default defineLab({
  title: 'A ZeroMQ socket connected to itself',
  verifies: `Verify: DEALER, PAIR, REQ, SUB and PUSH sockets connecting to 127.0.0.1:${TARGET}, inside ip_local_port_range ${RANGE.replace(' ', '–')} with nothing listening, each end up connected to themselves; DEALER and PAIR complete the ZMTP handshake with themselves and stay stuck (no FIN, no reconnect, their own messages echo back); REQ, SUB and PUSH see CONNECTED then DISCONNECTED, send a FIN at once, and never reconnect.`,
  // The Node probe zeromq/_zmq-probe.ts is shown in the chapter; the lab card lists C probes only.
  takeaway:
    'A ZeroMQ socket that reconnects to a local port inside the ephemeral range can end up connected to itself. In the released libzmq, DEALER and PAIR accept themselves as their peer and stay stuck, while REQ, SUB and PUSH reject themselves and never reconnect.',
  probes: [],
  run: async (ctx: LabContext) => {
    // Five independent namespaces: set up at once.
    const hosts: Record<string, Host> = Object.fromEntries(
      await Promise.all(
        TYPES.map(
          async (type) =>
            [
              type,
              await ctx.host(type, { sysctls: { 'net.ipv4.ip_local_port_range': RANGE } }),
            ] as const,
        ),
      ),
    );
    const outcomes = await Promise.all(
      TYPES.map(async (type): Promise<[string, Outcome]> => {
        const host = hosts[type];
        // The recording keeps one capture, the DEALER's: the stuck case, the BAD trace.
        const capture = await ctx.capture(host, 'lo', { record: type === 'dealer' });
        const probe = await zmqSocket(ctx, host, {
          type,
          connect: `tcp://127.0.0.1:${TARGET}`,
          handshakeIvl: HANDSHAKE_IVL_MS,
          echo: 'ping',
        });
        const connected = await probe.waitFor('zmq:connect', 30_000);
        // Watch: a new attempt after the self-connection would be a connect:retry or connect:delay.
        const retried = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => {
            clearInterval(poll);
            resolve(false);
          }, WATCH_MS);
          const poll = setInterval(() => {
            if (
              probe.events.some(
                (e) => e.t > connected.t && /^zmq:connect:(retry|delay)$/.test(e.event),
              )
            ) {
              clearTimeout(timer);
              clearInterval(poll);
              resolve(true);
            }
          }, 20);
        });
        const sockets = await tcpSockets(host);
        const self = sockets.find(
          (s) => s.local === `127.0.0.1:${TARGET}` && s.peer === `127.0.0.1:${TARGET}`,
        );
        ctx.note(host, 'ss', {
          state: self?.state ?? '(none)',
          local: self?.local,
          peer: self?.peer,
        });
        // Capture first: closing the socket at the end sends a FIN of its own, which is not evidence.
        const packets = await capture.stop();
        await probe.stop();
        const selfPackets = tcp(packets).filter(
          (p) => p.tcp.srcPort === TARGET && p.tcp.dstPort === TARGET,
        );
        const payloads = selfPackets
          .filter((p) => p.tcp.payloadLength > 0)
          .map((p) => p.tcp.payloadLength);
        let sum = 0;
        let i = 0;
        while (i < payloads.length && sum < 64) sum += payloads[i++];
        const events = monitorEvents(probe);
        const after = events.filter((e: LabEvent) => e.t >= connected.t);
        const echo = probe.events.find((e) => e.event === 'echo');
        return [
          type,
          {
            selfConnected: selfPackets.some((p) => p.tcp.flags === 'S'),
            attemptsBefore: events.filter(
              (e) => e.event === 'zmq:connect:retry' && e.t < connected.t,
            ).length,
            retryWaitS:
              events
                .filter((e) => e.event === 'zmq:connect:retry' && e.t < connected.t)
                .reduce((s, e) => s + Number(e.interval ?? 0), 0) / 1000,
            eventsAfterSelf: names(after),
            echo: echo ? String(echo.received) : null,
            readyBytes: payloads[i],
            finAfterSelf: selfPackets.some((p) => p.tcp.fin),
            selfFlags: selfPackets.map((p) => p.tcp.flags),
            retriedWithinWatch: retried,
            ssState: self?.state ?? '(none)',
            libzmq: String(probe.events.find((e) => e.event === 'ready')?.libzmq),
          },
        ];
      }),
    );
    return {
      // The ladder shows the DEALER's capture.
      hosts: [{ name: 'dealer', addrs: ['127.0.0.1'] }],
      // The watch, plus the reconnect intervals of the socket that waited longest for its turn
      // to pick port 40500 (the walk through the port range is the phenomenon itself).
      inherentWaitS: WATCH_MS / 1000 + Math.max(...outcomes.map(([, o]) => o.retryWaitS)),
      facts: {
        ...Object.fromEntries(outcomes),
        // Flat copies for quoting in the chapter.
        ...Object.fromEntries(
          outcomes.flatMap(([type, o]) => [
            [`${type}Events`, o.eventsAfterSelf.join(', ')],
            [`${type}State`, o.ssState],
            [`${type}ReadyBytes`, o.readyBytes],
            [`${type}AttemptsBefore`, o.attemptsBefore],
          ]),
        ),
        dealerEcho: outcomes.find(([t]) => t === 'dealer')![1].echo,
        libzmqVersion: outcomes.find(([t]) => t === 'dealer')![1].libzmq,
        watchS: WATCH_MS / 1000,
        handshakeIvlMs: HANDSHAKE_IVL_MS,
      },
    };
  },
  claims: [
    {
      id: 'library',
      says: 'The library under test is libzmq 4.3.5 (zmq_version()), still the latest release: the self-connection handling proposed in PR #4599 is in no release.',
      fact: 'libzmqVersion',
      expect: { equals: '4.3.5' },
      kernelNote:
        'not a kernel property: the zeromq npm package bundles libzmq; a newer library may behave differently after a self-connection',
    },
    {
      id: 'all-self',
      says: 'Every socket type ends up connected from 127.0.0.1:40500 to 127.0.0.1:40500.',
      observe: (r) => TYPES.map((t) => (r.facts[t] as Outcome).selfConnected),
      expect: { equals: [true, true, true, true, true] },
    },
    {
      id: 'dealer-events',
      says: 'DEALER: the monitor reports connect and handshake, as for a real peer.',
      observe: per('dealer', 'eventsAfterSelf'),
      expect: { equals: ['connect', 'handshake'] },
    },
    {
      id: 'pair-events',
      says: 'PAIR: the same, connect and handshake.',
      observe: per('pair', 'eventsAfterSelf'),
      expect: { equals: ['connect', 'handshake'] },
    },
    {
      id: 'dealer-echo',
      says: 'A DEALER connected to itself receives the message it sends.',
      observe: per('dealer', 'echo'),
      expect: { equals: 'ping' },
    },
    {
      id: 'stuck-state',
      says: 'DEALER and PAIR stay ESTABLISHED to themselves to the end of the watch: no FIN, no new attempt.',
      observe: (r) =>
        ['dealer', 'pair'].map((t) => [
          (r.facts[t] as Outcome).ssState,
          (r.facts[t] as Outcome).finAfterSelf,
          (r.facts[t] as Outcome).retriedWithinWatch,
        ]),
      expect: {
        equals: [
          ['ESTAB', false, false],
          ['ESTAB', false, false],
        ],
      },
    },
    {
      id: 'rejecting-events',
      says: 'REQ, SUB and PUSH: the monitor reports connect then disconnect, and nothing about a failed handshake.',
      observe: (r) => ['req', 'sub', 'push'].map((t) => (r.facts[t] as Outcome).eventsAfterSelf),
      expect: {
        equals: [
          ['connect', 'disconnect'],
          ['connect', 'disconnect'],
          ['connect', 'disconnect'],
        ],
      },
    },
    {
      id: 'rejecting-fin',
      says: 'REQ, SUB and PUSH close the self-connection with a FIN right after reading their own READY.',
      observe: (r) => ['req', 'sub', 'push'].map((t) => (r.facts[t] as Outcome).finAfterSelf),
      expect: { equals: [true, true, true] },
    },
    {
      id: 'never-reconnect',
      says: 'After that FIN, none of them tries again within the watch: the session is terminated, not reconnected.',
      observe: (r) => ['req', 'sub', 'push'].map((t) => (r.facts[t] as Outcome).retriedWithinWatch),
      expect: { equals: [false, false, false] },
    },
    {
      id: 'ready-sizes',
      says: 'The READY command each socket sends itself is 43 bytes for DEALER, 40 for REQ (both carry an empty Identity), 28 for PAIR and PUSH, 27 for SUB.',
      observe: (r) => TYPES.map((t) => (r.facts[t] as Outcome).readyBytes),
      expect: { equals: [43, 28, 40, 27, 28] },
    },
  ],
});
