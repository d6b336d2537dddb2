/*
 * ZeroMQ probe: one socket of the real library (zeromq npm package, libzmq 4.3.x) with its
 * socket monitor, printing every monitor event as a JSON line, the way the C probes do.
 *
 * usage: zmq-probe.ts CONFIG_JSON
 *   CONFIG_JSON: {"type": "dealer"|"pair"|"req"|"rep"|"sub"|"pub"|"push"|"pull"|"router",
 *                 "connect"?: "tcp://...", "bind"?: "tcp://...",
 *                 "reconnectIvl"?: ms, "reconnectIvlMax"?: ms, "handshakeIvl"?: ms,
 *                 "echo"?: "text"}   (echo: after the handshake, send text and report what comes back)
 * events: ready {type, libzmq}; zmq:<monitor event> {zmq: "ZMQ_EVENT_...", address, interval?, error?};
 *         echo {sent, received} or echo-timeout; fatal {call, errno}
 *
 * The monitor is zmq_socket_monitor(3) underneath (zeromq.js reads it from an inproc PAIR). Its
 * events carry no file descriptor here, so the lab learns ports from the capture and from ss.
 */
import * as zmq from 'zeromq';

const mono = () => Number(process.hrtime.bigint()) / 1e9;
function emit(event: string, fields: Record<string, unknown> = {}) {
  process.stdout.write(
    `${JSON.stringify({ event, mono: Math.round(mono() * 1e6) / 1e6, ...fields })}\n`,
  );
}

/** zeromq.js event names → the libzmq constants of zmq_socket_monitor(3). */
const ZMQ_NAMES: Record<string, string> = {
  accept: 'ZMQ_EVENT_ACCEPTED',
  'accept:error': 'ZMQ_EVENT_ACCEPT_FAILED',
  bind: 'ZMQ_EVENT_LISTENING',
  'bind:error': 'ZMQ_EVENT_BIND_FAILED',
  connect: 'ZMQ_EVENT_CONNECTED',
  'connect:delay': 'ZMQ_EVENT_CONNECT_DELAYED',
  'connect:retry': 'ZMQ_EVENT_CONNECT_RETRIED',
  close: 'ZMQ_EVENT_CLOSED',
  'close:error': 'ZMQ_EVENT_CLOSE_FAILED',
  disconnect: 'ZMQ_EVENT_DISCONNECTED',
  end: 'ZMQ_EVENT_MONITOR_STOPPED',
  handshake: 'ZMQ_EVENT_HANDSHAKE_SUCCEEDED',
  'handshake:error:protocol': 'ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL',
  'handshake:error:auth': 'ZMQ_EVENT_HANDSHAKE_FAILED_AUTH',
  'handshake:error:other': 'ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL',
};

interface Config {
  type: string;
  connect?: string;
  bind?: string;
  reconnectIvl?: number;
  reconnectIvlMax?: number;
  handshakeIvl?: number;
  echo?: string;
}

const SOCKETS: Record<string, new () => zmq.Socket> = {
  dealer: zmq.Dealer,
  pair: zmq.Pair,
  req: zmq.Request,
  rep: zmq.Reply,
  sub: zmq.Subscriber,
  pub: zmq.Publisher,
  push: zmq.Push,
  pull: zmq.Pull,
  router: zmq.Router,
};

function fatal(call: string, err: unknown): never {
  const e = err as { code?: string; message?: string };
  emit('fatal', { call, errno: e.code ?? 'E?', message: e.message ?? String(err) });
  process.stderr.write(`zmq-probe: ${call}: ${e.message ?? String(err)}\n`);
  process.exit(70);
}

let config: Config;
try {
  config = JSON.parse(process.argv[2] ?? '');
} catch {
  process.stderr.write('usage: zmq-probe.ts CONFIG_JSON\n');
  process.exit(64);
}
const Kind = SOCKETS[config.type];
if (!Kind || (!config.connect && !config.bind)) {
  process.stderr.write(
    `zmq-probe: type must be one of ${Object.keys(SOCKETS).join(', ')}, and connect or bind given\n`,
  );
  process.exit(64);
}

const socket = new Kind();
socket.linger = 0;
if (config.reconnectIvl !== undefined) socket.reconnectInterval = config.reconnectIvl;
if (config.reconnectIvlMax !== undefined) socket.reconnectMaxInterval = config.reconnectIvlMax;
if (config.handshakeIvl !== undefined) socket.handshakeInterval = config.handshakeIvl;
if (socket instanceof zmq.Subscriber) socket.subscribe();

// Monitor first, so the first connect:delay is not missed.
socket.events.on('unknown', () => emit('zmq:unknown', { zmq: 'unknown' }));
for (const name of Object.keys(ZMQ_NAMES)) {
  socket.events.on(name as zmq.EventType, (ev: zmq.Event) => {
    const fields: Record<string, unknown> = { zmq: ZMQ_NAMES[name] };
    if ('address' in ev) fields.address = ev.address;
    if ('interval' in ev) fields.interval = ev.interval;
    if ('error' in ev && ev.error)
      fields.error = (ev.error as { code?: string }).code ?? String(ev.error);
    emit(`zmq:${name}`, fields);
    if (name === 'handshake' && config.echo !== undefined) void echo(config.echo);
  });
}

/** Sends a message and waits (bounded) for one to come back: a self-connected socket hears itself. */
async function echo(text: string) {
  const s = socket as zmq.Socket & Partial<zmq.Writable & zmq.Readable>;
  if (!s.send || !s.receive) return;
  try {
    s.sendTimeout = 1000;
    s.receiveTimeout = 2000;
    await s.send(text);
    const [back] = await s.receive();
    emit('echo', { sent: text, received: back.toString() });
  } catch (err) {
    emit('echo-timeout', { sent: text, error: (err as { code?: string }).code ?? String(err) });
  }
}

try {
  if (config.bind) await socket.bind(config.bind);
  if (config.connect) socket.connect(config.connect);
} catch (err) {
  fatal(config.bind ? 'zmq_bind' : 'zmq_connect', err);
}
emit('ready', { type: config.type, libzmq: zmq.version });

process.on('SIGTERM', () => {
  socket.close();
  process.exit(0);
});
// Keep the event loop alive: the monitor alone does not hold it open.
setInterval(() => {}, 1 << 30);
