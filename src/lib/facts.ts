/**
 * Recorded facts as a reader reads them: `synRetransmitTimesS` → "SYN retransmit times (s)",
 * `["S","S.","."]` → "S → S. → .", `{ recvQ: 2 }` → "recv-Q 2". The lab's names stay the
 * evidence's keys (the JSON and the CLI show them); the page shows words. Pure, for the card.
 */

/** Words a lab writes in lower camel case that a reader knows in capitals (or another form). */
const WORDS: Record<string, string> = {
  ack: 'ACK',
  acks: 'ACKs',
  syn: 'SYN',
  syns: 'SYNs',
  synack: 'SYN-ACK',
  fin: 'FIN',
  fins: 'FINs',
  rst: 'RST',
  rsts: 'RSTs',
  mss: 'MSS',
  mtu: 'MTU',
  pmtu: 'path MTU',
  isn: 'ISN',
  isns: 'ISNs',
  rtt: 'RTT',
  rtts: 'RTTs',
  rto: 'RTO',
  ip: 'IP',
  id: 'ID',
  ids: 'IDs',
  tcp: 'TCP',
  udp: 'UDP',
  icmp: 'ICMP',
  igmp: 'IGMP',
  df: 'DF',
  mf: 'MF',
  ttl: 'TTL',
  gso: 'GSO',
  ss: 'ss',
  recvq: 'Recv-Q',
  sendq: 'Send-Q',
  eagain: 'EAGAIN',
  ewouldblock: 'EWOULDBLOCK',
  epipe: 'EPIPE',
  errno: 'errno',
  et: 'edge-triggered',
  lt: 'level-triggered',
  rcvbuf: 'SO_RCVBUF',
  sndbuf: 'SO_SNDBUF',
  zmq: 'ZeroMQ',
  zmtp: 'ZMTP',
  ipv6: 'IPv6',
  ipv4: 'IPv4',
  wscale: 'window scale',
  sack: 'SACK',
  nodelay: 'TCP_NODELAY',
  rel: 'relative',
  snd: 'send',
  rcv: 'receive',
  seq: 'seq',
  cwnd: 'cwnd',
  ns: 'ns',
};

/** A key's last word that is a unit: shown in parentheses and after the value. */
const UNITS: Record<string, string> = { ms: 'ms', s: 's', us: 'µs', ns: 'ns', bytes: 'bytes' };

/** Keys whose arrays are a sequence in time: joined by arrows rather than commas. */
const SEQUENCE = /(flags|walk|order|sequence|segments|steps|schedule)$/i;

/** `synRetransmitTimesS` → ["syn", "retransmit", "times", "s"]. */
function words(key: string): string[] {
  return key
    .replace(/(recv|send)Q/gi, '$1q')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** The unit a key ends in (`handshakeMs` → ms), if any. */
export function unitOf(key: string): string | undefined {
  const last = words(key).at(-1);
  return last && words(key).length > 1 ? UNITS[last] : undefined;
}

/** A key in words, as inside a sentence: `listenRecvQ` → "listen Recv-Q". */
function phrase(key: string): string {
  const all = words(key);
  const unit = unitOf(key);
  const text = (unit ? all.slice(0, -1) : all)
    .map((w) => WORDS[w] ?? w)
    .join(' ')
    .replace(/\bSYN ACK\b/g, 'SYN-ACK');
  return unit ? `${text} (${unit})` : text;
}

/** A fact's name in words: `synRetransmitTimesS` → "SYN retransmit times (s)". */
export function factLabel(key: string): string {
  const text = phrase(key);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const scalar = (v: unknown): string => {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number')
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'string') return v === '' ? '(empty)' : v;
  return JSON.stringify(v);
};

/** A fact's value in words, with the unit its key names: 1.024 s, "S → S. → .", "recv-Q 2". */
export function factValue(key: string, value: unknown): string {
  const unit = unitOf(key);
  const withUnit = (s: string) => (unit && s !== '—' ? `${s} ${unit}` : s);
  if (Array.isArray(value)) {
    if (value.length === 0) return '(none)';
    const parts = value.map((v) =>
      Array.isArray(v) || (v && typeof v === 'object') ? nested(v) : scalar(v),
    );
    return withUnit(parts.join(SEQUENCE.test(key) ? ' → ' : ', '));
  }
  if (value && typeof value === 'object') return nested(value);
  return withUnit(scalar(value));
}

/** One level of structure inside a value: `{a: 1, b: [2, 3]}` → "a 1; b 2, 3". */
function nested(value: object): string {
  if (Array.isArray(value)) return `[${value.map(scalar).join(', ')}]`;
  return Object.entries(value)
    .map(([k, v]) => `${phrase(k)} ${Array.isArray(v) ? v.map(scalar).join(', ') : scalar(v)}`)
    .join('; ');
}
