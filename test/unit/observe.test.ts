/** Parsers for `ss` and `nstat`, on output captured from a real run. */
import { describe, expect, it } from 'vitest';
import {
  decodeProcAddr,
  parseNstat,
  parseProcNetTcp,
  parseSs,
  parseSsInfo,
} from '../../labs/_lib/observe.ts';

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
      {
        state: 'ESTAB',
        recvQ: 0,
        sendQ: 0,
        local: '198.51.100.2:5000',
        peer: '198.51.100.1:39360',
      },
      {
        state: 'SYN-SENT',
        recvQ: 0,
        sendQ: 1,
        local: '198.51.100.1:39368',
        peer: '198.51.100.2:5000',
        timer: 'timer:(on,232ms,2)',
      },
    ]);
  });
});

describe('parseNstat', () => {
  it('reads absolute counters and skips the header', () => {
    const text =
      '#kernel\nTcpExtListenOverflows           6                  0.0\nTcpOutRsts 0 0.0\n';
    expect(parseNstat(text)).toEqual({ TcpExtListenOverflows: 6, TcpOutRsts: 0 });
  });
});

describe('parseSsInfo', () => {
  // Captured from `ss -H -tinm` on this kernel: a sender stuck on a zero window.
  const sample = [
    'ESTAB 0      995904 127.0.0.1:49732 127.0.0.1:5001 timer:(persist,168ms,0)',
    '\t skmem:(r0,rb131072,t0,tb3939840,f3904,w1396928,o0,bl0,d0) ts sack cubic wscale:0,10 rto:208 backoff:1 rtt:5.455/10.898 mss:2048 pmtu:65535 rcvmss:536 advmss:65483 cwnd:12 bytes_sent:4096 send 36041797bps lastsnd:508 pacing_rate 66890055944bps delivery_rate 780190472bps app_limited rcv_space:65495 notsent:995904 minrtt:0.007 snd_wnd:0',
    'ESTAB 4096   0      127.0.0.1:5001  127.0.0.1:49732',
    '\t skmem:(r5760,rb8192,t0,tb3939840,f2432,w0,o0,bl0,d1) ts sack cubic wscale:10,0 rto:204 rtt:0.007/0.003 ato:80 mss:32768 rcvmss:2048 rcv_space:4096',
    '',
  ].join('\n');

  it('reads the row, the skmem counters, key:value fields and bare flags', () => {
    const [sender, receiver] = parseSsInfo(sample);
    expect(sender).toMatchObject({
      state: 'ESTAB',
      recvQ: 0,
      sendQ: 995904,
      local: '127.0.0.1:49732',
      peer: '127.0.0.1:5001',
    });
    expect(sender.skmem).toEqual({
      r: 0,
      rb: 131072,
      t: 0,
      tb: 3939840,
      f: 3904,
      w: 1396928,
      o: 0,
      bl: 0,
      d: 0,
    });
    expect(sender.fields).toMatchObject({
      wscale: '0,10',
      rto: '208',
      rtt: '5.455/10.898',
      mss: '2048',
      cwnd: '12',
      snd_wnd: '0',
      notsent: '995904',
      timer: '(persist,168ms,0)',
    });
    expect(sender.flags).toEqual(['ts', 'sack', 'cubic', 'app_limited']);
    expect(receiver.skmem?.rb).toBe(8192);
    expect(receiver.skmem?.d).toBe(1);
    expect(receiver.fields.rcv_space).toBe('4096');
  });

  it('skips the rates ss computes (a value in the next token)', () => {
    const [sender] = parseSsInfo(sample);
    expect(Object.keys(sender.fields)).not.toContain('send');
    expect(sender.flags).not.toContain('36041797bps');
  });

  it('reads rows without a State column (single-state filter)', () => {
    expect(parseSsInfo('0      995904 127.0.0.1:49732 127.0.0.1:5001\n')).toEqual([
      {
        recvQ: 0,
        sendQ: 995904,
        local: '127.0.0.1:49732',
        peer: '127.0.0.1:5001',
        fields: {},
        flags: [],
      },
    ]);
  });
});

describe('parseProcNetTcp', () => {
  // Captured from /proc/net/tcp on this kernel (x86-64, little-endian).
  const sample = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 026433C6:1388 00000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 1684778 2 000000006b1be063 100 0 0 10 0',
    '   2: 0100007F:1388 0100007F:9EFA 01 00000000:00000000 00:00000000 00000000     0        0 0 1 00000000b98cc888 20 0 0 10 -1',
    '   3: 0100007F:C244 0100007F:1389 01 000F3240:00000000 04:0000000F 00000000  1000        0 1686183 2 00000000ffd4fd28 20 0 0 12 -1',
    '   4: 016433C6:9EFA 026433C6:1388 05 00000000:00000000 03:0000174E 00000000     0        0 0 3 0000000000000000',
  ].join('\n');

  it('decodes little-endian addresses and big-endian-as-hex ports', () => {
    expect(decodeProcAddr('026433C6:1388')).toBe('198.51.100.2:5000');
    expect(decodeProcAddr('0100007F:9EFA')).toBe('127.0.0.1:40698');
    expect(decodeProcAddr('00000000:0000')).toBe('0.0.0.0:0');
  });

  it('decodes state, queues, timer, uid and inode', () => {
    const rows = parseProcNetTcp(sample);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({
      sl: 0,
      local: '198.51.100.2:5000',
      peer: '0.0.0.0:0',
      stateCode: 10,
      state: 'LISTEN',
      txQueue: 0,
      rxQueue: 1,
      timer: 0,
      timerTicks: 0,
      retransmits: 0,
      uid: 0,
      timeout: 0,
      inode: 1684778,
    });
    expect(rows[1]).toMatchObject({ state: 'ESTAB', inode: 0 });
    expect(rows[2]).toMatchObject({
      state: 'ESTAB',
      txQueue: 995904,
      timer: 4,
      timerTicks: 15,
      uid: 1000,
    });
    expect(rows[3]).toMatchObject({
      stateCode: 5,
      state: 'FIN-WAIT-2',
      timer: 3,
      timerTicks: 5966,
      inode: 0,
    });
  });

  it('rejects an IPv6 address (this decoder reads /proc/net/tcp only)', () => {
    expect(() => decodeProcAddr('00000000000000000000000000000000:0000')).toThrow(/IPv4/);
  });
});
