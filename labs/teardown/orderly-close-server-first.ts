/**
 * Verify: server close() right after accept() → FIN; the client ACKs, reads 0 in CLOSE-WAIT,
 * later close() → FIN; the server ACKs and sits in TIME-WAIT for 60 s; the client keeps nothing.
 */
import { defineLab } from '../_lib/define.ts';
import { orderlyClaims, orderlyClose } from './orderly-close.ts';

export default defineLab({
  id: 'teardown/orderly-close-server-first',
  title: 'Orderly close, server first',
  verifies:
    'Verify: the server calls close() right after accept() → FIN (server FIN-WAIT-1); the client ACKs (server FIN-WAIT-2), sees CLOSE-WAIT and reads 0; the client closes → FIN; the server ACKs and holds the connection in TIME-WAIT for 60 s, while the client keeps no socket.',
  probes: ['teardown/orderly-close.c', 'teardown/teardown.h'],
  claims: orderlyClaims('server', 'client'),
  run: (ctx) => orderlyClose(ctx, 'server'),
});
