import { defineLab } from '../_lib/define.ts';
import type { LabContext } from '../_lib/types.ts';
import { tcp } from '../_lib/packets.ts';
import { monitorEvents, nth, zmqSocket } from './_scenario.ts';

const TARGET = 40500;
const ATTEMPTS = 60;

export default defineLab({
  title: 'ip_local_reserved_ports prevents the self-connection',
  verifies: `Verify: with ip_local_reserved_ports = ${TARGET} and ip_local_port_range 40490–40510, ${ATTEMPTS} reconnect attempts of a DEALER to 127.0.0.1:${TARGET} all come from other source ports and are all refused; the socket never connects to itself.`,
  // The Node probe zeromq/_zmq-probe.ts is shown in the chapter; the lab card lists C probes only.
  takeaway:
    'Listing a port in net.ipv4.ip_local_reserved_ports keeps connect() from ever choosing it as a source port, which prevents the self-connection, while an explicit bind() to that port still works.',
  probes: [],
  run: async (ctx: LabContext) => {
    const host = await ctx.host('host', {
      sysctls: {
        'net.ipv4.ip_local_port_range': '40490 40510',
        'net.ipv4.ip_local_reserved_ports': String(TARGET),
      },
    });
    const capture = await ctx.capture(host, 'lo');
    const dealer = await zmqSocket(ctx, host, {
      type: 'dealer',
      connect: `tcp://127.0.0.1:${TARGET}`,
      reconnectIvl: 10,
    });
    await nth(dealer, 'zmq:connect:retry', ATTEMPTS, 20_000);
    const packets = await capture.stop();
    await dealer.stop();
    const syns = tcp(packets).filter((p) => p.tcp.syn && !p.tcp.ack && p.tcp.dstPort === TARGET);
    return {
      hosts: [{ name: 'host', addrs: ['127.0.0.1'] }],
      inherentWaitS: 0.9,
      facts: {
        syns: syns.length,
        rsts: tcp(packets).filter((p) => p.tcp.rst).length,
        attemptsFrom40500: syns.filter((p) => p.tcp.srcPort === TARGET).length,
        distinctSourcePorts: new Set(syns.map((p) => p.tcp.srcPort)).size,
        sourcePorts: [...new Set(syns.map((p) => p.tcp.srcPort))].sort((a, b) => a - b),
        connected: monitorEvents(dealer).filter((e) => e.event === 'zmq:connect').length,
      },
    };
  },
  claims: [
    {
      id: 'never-source',
      says: `Port ${TARGET} is never chosen as a source port.`,
      fact: 'attemptsFrom40500',
      expect: { equals: 0 },
    },
    {
      id: 'all-refused',
      says: 'Every attempt is refused (SYN, RST/ACK) and the monitor never reports CONNECTED.',
      observe: (r) => [r.facts.syns === r.facts.rsts, r.facts.connected],
      expect: { equals: [true, 0] },
    },
    {
      id: 'enough',
      says: `At least ${ATTEMPTS} attempts were watched, covering every even port of the range several times.`,
      fact: 'syns',
      expect: { atLeast: ATTEMPTS },
    },
    {
      id: 'ports',
      says: 'The source ports still come from the range, with the reserved one skipped.',
      fact: 'distinctSourcePorts',
      expect: { atLeast: 8 },
    },
  ],
});
