import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { orderlyClaims, orderlyClose } from './_scenario.ts';

export default defineLab({
  title: 'Orderly close, server first',
  verifies:
    'Verify: the server calls close() right after accept() → FIN (server FIN-WAIT-1); the client ACKs (server FIN-WAIT-2), sees CLOSE-WAIT and reads 0; the client closes → FIN; the server ACKs and holds the connection in TIME-WAIT for 60 s, while the client keeps no socket.',
  takeaway:
    'When the server closes first, TIME-WAIT lands on the server: it belongs to whichever side sent the first FIN, not to the client.',
  probes: ['teardown/orderly-close.c', 'teardown/teardown.h'],
  run: (ctx: LabContext) => orderlyClose(ctx, 'server'),
  claims: orderlyClaims('server', 'client'),
});
