import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { orderlyClaims, orderlyClose } from './_scenario.ts';

export default defineLab({
  title: 'Orderly close, client first',
  verifies:
    'Verify: the client calls close() → FIN (client FIN-WAIT-1); the server ACKs (client FIN-WAIT-2), sees CLOSE-WAIT and reads 0; the server closes → FIN; the client ACKs and holds the connection in TIME-WAIT for 60 s, while the server keeps no socket.',
  takeaway:
    "In an orderly close each side sends a FIN and acknowledges the other's. The side that closes first, here the client, ends in TIME-WAIT, and the other side keeps no socket once its FIN is acknowledged.",
  probes: ['teardown/orderly-close.c', 'teardown/teardown.h'],
  run: (ctx: LabContext) => orderlyClose(ctx, 'client'),
  claims: orderlyClaims('client', 'server'),
});
