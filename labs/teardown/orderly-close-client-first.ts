/**
 * Verify: client close() → FIN; server ACKs, reads 0 in CLOSE-WAIT, later close() → FIN; client
 * ACKs and sits in TIME-WAIT for 60 s; the server keeps nothing.
 */
import { defineLab } from '../_lib/define.ts';
import { orderlyClaims, orderlyClose } from './orderly-close.ts';

export default defineLab({
  id: 'teardown/orderly-close-client-first',
  title: 'Orderly close, client first',
  verifies:
    'Verify: the client calls close() → FIN (client FIN-WAIT-1); the server ACKs (client FIN-WAIT-2), sees CLOSE-WAIT and reads 0; the server closes → FIN; the client ACKs and holds the connection in TIME-WAIT for 60 s, while the server keeps no socket.',
  probes: ['teardown/orderly-close.c', 'teardown/teardown.h'],
  claims: orderlyClaims('client', 'server'),
  run: (ctx) => orderlyClose(ctx, 'client'),
});
