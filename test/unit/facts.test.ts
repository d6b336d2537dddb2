import { describe, expect, it } from 'vitest';
import { factLabel, factValue } from '../../src/lib/facts.ts';

describe('factLabel', () => {
  it.each([
    ['synMss', 'SYN MSS'],
    ['synRetransmitTimesS', 'SYN retransmit times (s)'],
    ['handshakeMs', 'Handshake (ms)'],
    ['listenRecvQ', 'Listen Recv-Q'],
    ['droppedSyns', 'Dropped SYNs'],
    ['rttUs', 'RTT (µs)'],
    ['clientSndMss', 'Client send MSS'],
    ['synAckRelAck', 'SYN-ACK relative ACK'],
    ['flags', 'Flags'],
  ])('calls %s "%s"', (key, label) => expect(factLabel(key)).toBe(label));
});

describe('factValue', () => {
  it.each([
    ['flags', ['S', 'S.', '.'], 'S → S. → .'],
    ['serverStates', ['ESTAB', 'LISTEN'], 'ESTAB, LISTEN'],
    ['activeWalk', ['ESTAB', 'FIN-WAIT-2'], 'ESTAB → FIN-WAIT-2'],
    ['retransmitTimesS', [1.012, 3.028], '1.012, 3.028 s'],
    ['handshakeMs', 0.037, '0.037 ms'],
    ['synMss', 1460, '1460'],
    ['serverFin', true, 'yes'],
    ['clientSs', { recvQ: 2, sendQ: 1 }, 'Recv-Q 2; Send-Q 1'],
    ['missing', undefined, '—'],
    ['empty', [], '(none)'],
  ])('shows %s = %j as "%s"', (key, value, text) => expect(factValue(key, value)).toBe(text));
});
