// The forwarding policy against a simulated flow table: what gets flooded, what gets an
// entry (and which match), what happens when a host moves, buffered and unbuffered packets.
import test from 'ava';
import { FLOW_MOD_COMMAND, FLOW_MOD_FLAGS, OFP_NO_BUFFER, OFPP, type FlowMod, type PacketOut } from '../../openflow/index.ts';
import { SimSwitch } from './sim-switch.ts';
import { arpRequest, icmpEcho, ipv4, ipv6, tcp, udp } from './frames.ts';
import { decidePacketIn, emptyState, decidePortGone, applyPortGone, applyDecision, tableMiss, DEFAULT_POLICY } from '../../controller/policy.ts';

const A = { mac: '02:00:00:00:00:0a', ip: '10.0.0.1', port: 1 };
const B = { mac: '02:00:00:00:00:0b', ip: '10.0.0.2', port: 2 };
const C = { mac: '02:00:00:00:00:0c', ip: '10.0.0.3', port: 3 };
const BCAST = 'ff:ff:ff:ff:ff:ff';

const tcpAB = (sport = 40000) => ipv4({ src: A.mac, dst: B.mac }, A.ip, B.ip, 6, tcp(sport, 80));
const tcpBA = (dport = 40000) => ipv4({ src: B.mac, dst: A.mac }, B.ip, A.ip, 6, tcp(80, dport));

function flowMods(sw: SimSwitch, command: number = FLOW_MOD_COMMAND.ADD): FlowMod[] {
  return sw.sent.filter((m): m is FlowMod => m.type === 'FLOW_MOD' && m.command === command);
}

function fields(mod: FlowMod): Record<string, unknown> {
  return Object.fromEntries(mod.match.map((f) => [f.field, f.field === 'raw' ? null : f.value]));
}

test('an unknown destination is flooded to every other port and installs nothing', (t) => {
  const sw = new SimSwitch([1, 2, 3]);
  sw.receive(A.port, tcpAB());
  const out = sw.drain();
  t.is(out.get(2)!.length, 1);
  t.is(out.get(3)!.length, 1);
  t.is(out.get(1)!.length, 0, 'never back out of the port it came in on');
  t.deepEqual(flowMods(sw), []);
  t.is(sw.state.macs.get(A.mac), A.port, 'the source was learned');
});

test('broadcast and multicast are flooded even when the group address was seen as a source', (t) => {
  const sw = new SimSwitch([1, 2, 3]);
  sw.receive(A.port, arpRequest({ src: A.mac, dst: BCAST }, A.ip, B.ip));
  sw.receive(B.port, ipv4({ src: B.mac, dst: '01:00:5e:00:00:fb' }, B.ip, '224.0.0.251', 17, udp(5353, 5353)));
  sw.receive(C.port, ipv4({ src: '01:00:5e:00:00:fb', dst: A.mac }, C.ip, A.ip, 17, udp(1, 2)));
  t.deepEqual(flowMods(sw).filter((m) => fields(m).eth_dst === BCAST), []);
  t.false(sw.state.macs.has('01:00:5e:00:00:fb'), 'a group address is never learned');
  const out = sw.drain();
  // Port 1: B's multicast and C's unicast to A; port 2: A's ARP; port 3: both floods.
  t.deepEqual([out.get(1)!.length, out.get(2)!.length, out.get(3)!.length], [2, 1, 2]);
});

test('a known destination gets an exact 5-tuple TCP entry with the configured timeouts and SEND_FLOW_REM', (t) => {
  const config = { idleTimeout: 7, hardTimeout: 60, priority: 123 };
  const sw = new SimSwitch([1, 2, 3], { config });
  sw.receive(A.port, tcpAB());
  sw.receive(B.port, tcpBA());
  const [mod] = flowMods(sw);
  t.deepEqual(fields(mod), {
    in_port: 2, eth_dst: A.mac, eth_src: B.mac, eth_type: 0x0800, ip_proto: 6,
    ipv4_src: B.ip, ipv4_dst: A.ip, tcp_src: 80, tcp_dst: 40000,
  });
  t.is(mod.idle_timeout, 7);
  t.is(mod.hard_timeout, 60);
  t.is(mod.priority, 123);
  t.is(mod.flags & FLOW_MOD_FLAGS.SEND_FLOW_REM, FLOW_MOD_FLAGS.SEND_FLOW_REM);
  t.deepEqual(mod.instructions, [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: A.port, max_len: 0 }] }]);
  t.is(sw.drain().get(A.port)!.length, 1, 'the first packet itself was delivered');
  // The next packet of that flow is switched by the table, without the controller.
  const before = sw.packetIns;
  sw.receive(B.port, tcpBA());
  t.is(sw.packetIns, before);
  t.is(sw.drain().get(A.port)!.length, 1);
  // Another connection between the same hosts is another flow.
  sw.receive(B.port, tcpBA(40001));
  t.is(sw.packetIns, before + 1);
  t.is(flowMods(sw).length, 2);
});

test('UDP keys on ports, ICMP on type and code, anything else on the L2 header', (t) => {
  const sw = new SimSwitch([1, 2]);
  sw.receive(A.port, arpRequest({ src: A.mac, dst: BCAST }, A.ip, B.ip));
  sw.receive(B.port, ipv4({ src: B.mac, dst: A.mac }, B.ip, A.ip, 17, udp(53, 3333)));
  sw.receive(B.port, ipv4({ src: B.mac, dst: A.mac }, B.ip, A.ip, 1, icmpEcho(0)));
  sw.receive(B.port, arpRequest({ src: B.mac, dst: A.mac }, B.ip, A.ip));
  const [u, i, l2] = flowMods(sw).map(fields);
  t.like(u, { ip_proto: 17, udp_src: 53, udp_dst: 3333 });
  t.like(i, { ip_proto: 1, icmpv4_type: 0, icmpv4_code: 0 });
  t.deepEqual(l2, { in_port: 2, eth_dst: A.mac, eth_src: B.mac, eth_type: 0x0806 });
});

test('IPv6 TCP gets an ipv6 5-tuple entry', (t) => {
  const sw = new SimSwitch([1, 2]);
  const a6 = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1];
  const b6 = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 2];
  sw.receive(A.port, ipv6({ src: A.mac, dst: B.mac }, a6, b6, 6, tcp(1, 2)));
  sw.receive(B.port, ipv6({ src: B.mac, dst: A.mac }, b6, a6, 6, tcp(2, 1)));
  t.like(fields(flowMods(sw)[0]), { eth_type: 0x86dd, ipv6_src: '2001:db8::2', ipv6_dst: '2001:db8::1', tcp_src: 2, tcp_dst: 1 });
});

test('without a buffer id the packet goes out with its bytes; with one the flow-mod releases it', (t) => {
  const plain = new SimSwitch([1, 2]);
  plain.receive(A.port, tcpAB());
  plain.receive(B.port, tcpBA());
  const mod = flowMods(plain)[0];
  t.is(mod.buffer_id, OFP_NO_BUFFER);
  const po = plain.sent.at(-1) as PacketOut;
  t.is(po.type, 'PACKET_OUT');
  t.deepEqual(po.data, tcpBA());

  const buffered = new SimSwitch([1, 2], { buffering: true });
  buffered.receive(A.port, tcpAB());
  buffered.receive(B.port, tcpBA());
  const bmod = flowMods(buffered)[0];
  t.not(bmod.buffer_id, OFP_NO_BUFFER);
  t.is(buffered.sent.at(-1), bmod, 'no packet-out: the switch applies the new entry to the buffered packet');
  t.is(buffered.drain().get(A.port)!.length, 1);
  const flood = buffered.sent[0] as PacketOut;
  t.is(flood.data.length, 0, 'a buffered flood carries no bytes');
});

test('a host that moves port has its stale entries removed and traffic follows it', (t) => {
  const sw = new SimSwitch([1, 2, 3]);
  sw.receive(A.port, tcpAB());
  sw.receive(B.port, tcpBA());
  sw.receive(A.port, tcpAB());
  t.is(sw.table.length, 2);
  sw.drain();
  // A reappears on port 3.
  sw.receive(C.port, ipv4({ src: A.mac, dst: B.mac }, A.ip, B.ip, 6, tcp(40000, 80)));
  const deletes = flowMods(sw, FLOW_MOD_COMMAND.DELETE).map(fields);
  t.deepEqual(deletes, [{ eth_dst: A.mac }, { in_port: 1, eth_src: A.mac }]);
  t.is(sw.state.macs.get(A.mac), 3);
  t.false([...sw.state.flows.values()].some((k) => k.ethDst === A.mac || k.inPort === 1), 'the policy forgot the stale entries too');
  t.false(sw.table.some((e) => fields(e.mod).eth_dst === A.mac || fields(e.mod).in_port === 1));
  sw.drain();
  sw.receive(B.port, tcpBA());
  const out = sw.drain();
  t.is(out.get(3)!.length, 1, 'B → A now reaches port 3');
  t.is(out.get(1)!.length, 0);
});

test('a destination on the packet\'s own port is dropped and a held buffer released', (t) => {
  const sw = new SimSwitch([1, 2], { buffering: true });
  sw.receive(A.port, tcpAB());
  sw.receive(A.port, ipv4({ src: C.mac, dst: A.mac }, C.ip, A.ip, 6, tcp(1, 2)));
  const last = sw.sent.at(-1) as PacketOut;
  t.is(last.type, 'PACKET_OUT');
  t.deepEqual(last.actions, []);
  t.is(flowMods(sw).length, 0);
});

test('a packet-in for an entry already installed is delivered without a second flow-mod', (t) => {
  const state = emptyState();
  const first = decidePacketIn(state, DEFAULT_POLICY, { inPort: 2, bufferId: OFP_NO_BUFFER, data: tcpBA() });
  state.macs.set(A.mac, 1);
  const d1 = decidePacketIn(state, DEFAULT_POLICY, { inPort: 2, bufferId: OFP_NO_BUFFER, data: tcpBA() });
  t.truthy(d1.install);
  applyDecision(state, d1);
  const d2 = decidePacketIn(state, DEFAULT_POLICY, { inPort: 2, bufferId: OFP_NO_BUFFER, data: tcpBA() });
  t.is(d2.install, undefined);
  t.deepEqual(d2.messages.map((m) => m.type), ['PACKET_OUT']);
  t.is(first.install, undefined, 'nothing installed while the destination was unknown');
});

test('the policy is pure: deciding does not change the state', (t) => {
  const state = emptyState();
  state.macs.set(A.mac, 1);
  const before = JSON.stringify([...state.macs, ...state.flows]);
  decidePacketIn(state, DEFAULT_POLICY, { inPort: 2, bufferId: OFP_NO_BUFFER, data: tcpBA() });
  decidePacketIn(state, DEFAULT_POLICY, { inPort: 3, bufferId: OFP_NO_BUFFER, data: ipv4({ src: A.mac, dst: B.mac }, A.ip, B.ip, 6, tcp(1, 2)) });
  t.is(JSON.stringify([...state.macs, ...state.flows]), before);
});

test('a port that goes away takes its hosts and entries with it', (t) => {
  const sw = new SimSwitch([1, 2, 3]);
  sw.receive(A.port, tcpAB());
  sw.receive(B.port, tcpBA());
  sw.receive(A.port, tcpAB());
  const msgs = decidePortGone(sw.state, 1);
  t.deepEqual(msgs.map((m) => m.type === 'FLOW_MOD' && [m.command, fields(m), m.out_port]), [
    [FLOW_MOD_COMMAND.DELETE, { in_port: 1 }, OFPP.ANY],
    [FLOW_MOD_COMMAND.DELETE, {}, 1],
  ]);
  applyPortGone(sw.state, 1);
  t.false(sw.state.macs.has(A.mac));
  t.is(sw.state.flows.size, 0);
  t.deepEqual(decidePortGone(sw.state, 3), [], 'nothing to remove for an unused port');
});

test('the table-miss entry sends whole packets to the controller at priority 0', (t) => {
  const miss = tableMiss();
  t.is(miss.priority, 0);
  t.deepEqual(miss.match, []);
  t.deepEqual(miss.instructions, [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: OFPP.CONTROLLER, max_len: 0xffff }] }]);
});

test('a runt frame is ignored (and its buffer released)', (t) => {
  const d = decidePacketIn(emptyState(), DEFAULT_POLICY, { inPort: 1, bufferId: 9, data: new Uint8Array(6) });
  t.deepEqual(d.messages.map((m) => m.type === 'PACKET_OUT' && m.actions.length), [0]);
  t.is(d.learn, undefined);
});
