/** Parsers for `ss` and `nstat`, on output captured from a real run. */
import { describe, expect, it } from 'vitest';
import { parseNstat, parseSs } from '../../labs/_lib/observe.ts';

describe('parseSs', () => {
  it('reads a listener and its connections, queues and timers', () => {
    const text = [
      'LISTEN   2      1      198.51.100.2:5000      0.0.0.0:*    ',
      'ESTAB    0      0      198.51.100.2:5000 198.51.100.1:39360',
      'SYN-SENT 0      1      198.51.100.1:39368 198.51.100.2:5000 timer:(on,232ms,2)',
      '',
    ].join('\n');
    expect(parseSs(text)).toEqual([
      { state: 'LISTEN', recvQ: 2, sendQ: 1, local: '198.51.100.2:5000', peer: '0.0.0.0:*' },
      { state: 'ESTAB', recvQ: 0, sendQ: 0, local: '198.51.100.2:5000', peer: '198.51.100.1:39360' },
      { state: 'SYN-SENT', recvQ: 0, sendQ: 1, local: '198.51.100.1:39368', peer: '198.51.100.2:5000', timer: 'timer:(on,232ms,2)' },
    ]);
  });
});

describe('parseNstat', () => {
  it('reads absolute counters and skips the header', () => {
    const text = '#kernel\nTcpExtListenOverflows           6                  0.0\nTcpOutRsts 0 0.0\n';
    expect(parseNstat(text)).toEqual({ TcpExtListenOverflows: 6, TcpOutRsts: 0 });
  });
});
