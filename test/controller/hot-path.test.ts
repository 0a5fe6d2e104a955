// The session's hot path over a real socket: many packet-ins and flow-removeds in one write
// give the messages and facts the policy promises (the same the general path gives), and a
// malformed PACKET_IN or FLOW_REMOVED still gets the decoder's OFPT_ERROR and closes only
// its own session; a master demoted to slave answers none, though it knows the hosts.
import test from 'ava';
import { FakeSwitch } from './fake-switch.ts';
import { startController, until } from './harness.ts';
import { decodeMessage, encodeMessage, OFP_NO_BUFFER, type FlowMod, type OfpMessage, type PacketOut } from '../../openflow/index.ts';
import { applyDecision, decidePacketIn, emptyState, DEFAULT_POLICY, flowIdOf } from '../../controller/index.ts';
import { errorFor } from '../../controller/wire.ts';
import { frameKey } from '../../controller/frame-key.ts';
import { flowHash } from '../../controller/flow-id.ts';
import { ipv4, tcp } from './frames.ts';
import type { FlowFact } from '../../pipeline/facts.ts';

const portOf = (target: string) => Number(target.split(':').pop());
const A = { mac: '02:00:00:00:00:0a', port: 1 };
const B = { mac: '02:00:00:00:00:0b', port: 2 };
const broadcast = (h: { mac: string }) => ipv4({ src: h.mac, dst: 'ff:ff:ff:ff:ff:ff' }, '10.0.0.9', '10.0.0.255', 17, [0, 1, 0, 2, 0, 8, 0, 0]);
const flow = (sport: number) => ipv4({ src: A.mac, dst: B.mac }, '10.0.0.1', '10.0.0.2', 6, tcp(sport, 80));
const packetIn = (inPort: number, frame: Uint8Array, bufferId = OFP_NO_BUFFER): Buffer => encodeMessage({
  type: 'PACKET_IN', xid: 0, buffer_id: bufferId, total_len: frame.length + 100, reason: 0, table_id: 0, cookie: 0n, match: [{ field: 'in_port', value: inPort }], data: frame,
});
/** What OVS reports for counters it does not keep. */
const ALL_ONES = 0xffffffffffffffffn;
const withoutXid = (m: OfpMessage) => ({ ...m, xid: 0 });

async function upWithHosts(t: import('ava').ExecutionContext, datapathId: bigint) {
  const ctl = await startController({ session: { statsIntervalMs: 0 } });
  t.teardown(() => ctl.stop());
  const sw = await FakeSwitch.connect(portOf(ctl.target), { datapathId });
  t.teardown(() => sw.close());
  await until(() => ctl.controller.datapaths.get(datapathId)?.ready, 3_000, 'switch up');
  sw.sendRaw(Buffer.concat([packetIn(A.port, broadcast(A)), packetIn(B.port, broadcast(B))]));
  await until(() => sw.received.filter((m) => m.type === 'PACKET_OUT').length === 2, 3_000, 'both hosts learned');
  return { ctl, sw };
}

test('one read of packet-ins and flow-removeds: the flow-mods, packet-outs and facts the policy gives', async (t) => {
  const { ctl, sw } = await upWithHosts(t, 0x51n);
  const before = sw.received.length;
  // New flows (one buffered), a repeat of the first, and then the switch removing two.
  const frames = [flow(1000), flow(1001), flow(1002), flow(1000)];
  const buffers = [OFP_NO_BUFFER, 77, OFP_NO_BUFFER, OFP_NO_BUFFER];
  const key = (f: Uint8Array) => frameKey(f, A.port)!.key;
  const removed = (sport: number, packets: bigint, reason: number): Buffer => encodeMessage({
    type: 'FLOW_REMOVED', xid: 0, cookie: flowIdOf(key(flow(sport))), priority: 100, reason, table_id: 0, duration_sec: 3, duration_nsec: 250_000_000,
    idle_timeout: 10, hard_timeout: 0, packet_count: packets, byte_count: packets === ALL_ONES ? packets : packets * 60n, match: [{ field: 'in_port', value: A.port }],
  });
  sw.sendRaw(Buffer.concat([...frames.map((f, i) => packetIn(A.port, f, buffers[i])), removed(1000, 5n, 0), removed(1001, ALL_ONES, 2)]));
  await until(() => ctl.facts.filter((f) => f.kind === 'flow.end').length === 2, 3_000, 'two flow ends');

  // What the policy says, message by message, from the state the session had.
  const state = emptyState();
  state.macs.set(A.mac, A.port).set(B.mac, B.port);
  const expected: OfpMessage[] = [];
  frames.forEach((f, i) => {
    const d = decidePacketIn(state, DEFAULT_POLICY, { inPort: A.port, bufferId: buffers[i]!, data: f });
    applyDecision(state, d);
    expected.push(...d.messages);
  });
  await until(() => sw.received.length - before >= expected.length, 3_000, 'every answer');
  const got = sw.received.slice(before).filter((m): m is FlowMod | PacketOut => m.type === 'FLOW_MOD' || m.type === 'PACKET_OUT');
  const bytes = (m: OfpMessage) => encodeMessage(withoutXid(m)).toString('hex');
  t.deepEqual(got.map(bytes), expected.map(bytes));
  t.deepEqual(got.map((m) => m.type), ['FLOW_MOD', 'PACKET_OUT', 'FLOW_MOD', 'FLOW_MOD', 'PACKET_OUT', 'PACKET_OUT']);
  const xids = got.map((m) => m.xid);
  t.is(new Set(xids).size, xids.length, 'every message its own xid');

  const facts = ctl.facts.filter((f) => f.kind === 'flow.start' || f.kind === 'flow.end').map(({ time, ...rest }: FlowFact) => {
    t.true(Math.abs(time - Date.now()) < 10_000);
    return rest;
  });
  const start = (sport: number) => ({ kind: 'flow.start', datapathId: 0x51n, flowId: flowIdOf(key(flow(sport))), key: key(flow(sport)), frame: flow(sport), frameLength: flow(sport).length + 100 });
  const end = (sport: number, packets: bigint | null, reason: string) => ({
    kind: 'flow.end', datapathId: 0x51n, flowId: flowIdOf(key(flow(sport))), key: key(flow(sport)),
    counters: { packets, bytes: packets === null ? null : packets * 60n }, durationSeconds: 3.25, reason, idleTimeout: 10, hardTimeout: 0,
  });
  t.deepEqual(
    facts.map((f) => (f.kind === 'flow.start' ? { ...f, frame: Uint8Array.from(f.frame) } : f)),
    [start(1000), start(1001), start(1002), end(1000, 5n, 'idle-timeout'), end(1001, null, 'delete')],
  );
  t.deepEqual(JSON.stringify(facts.map((f) => 'key' in f && f.key)), JSON.stringify([1000, 1001, 1002, 1000, 1001].map((p) => key(flow(p)))), 'key fields in the same order');

  // The removed entries are forgotten: 1000's next packet installs it again, 1002's (still
  // installed) is only forwarded. A hot path that kept a removed entry would answer 1000
  // with a PACKET_OUT alone, and its flow would never get an entry (or facts) again.
  for (const sport of [1000, 1001]) state.flows.delete(flowHash(key(flow(sport))));
  const again = [flow(1000), flow(1002)];
  const next: OfpMessage[] = [];
  for (const f of again) {
    const d = decidePacketIn(state, DEFAULT_POLICY, { inPort: A.port, bufferId: OFP_NO_BUFFER, data: f });
    applyDecision(state, d);
    next.push(...d.messages);
  }
  const mark = sw.received.length;
  sw.sendRaw(Buffer.concat(again.map((f) => packetIn(A.port, f))));
  await until(() => ctl.facts.filter((f) => f.kind === 'flow.start').length === 4, 3_000, 'the flow started again');
  await until(() => sw.received.length - mark >= next.length, 3_000, 'the answers after the removals');
  const after = sw.received.slice(mark).filter((m): m is FlowMod | PacketOut => m.type === 'FLOW_MOD' || m.type === 'PACKET_OUT');
  t.deepEqual(after.map(bytes), next.map(bytes));
  t.deepEqual(after.map((m) => m.type), ['FLOW_MOD', 'PACKET_OUT', 'PACKET_OUT']);
});

test('a FLOW_REMOVED for an entry the session never installed is still reported, its key read from the match', async (t) => {
  const { ctl, sw } = await upWithHosts(t, 0x52n);
  const k = { inPort: 3, ethDst: B.mac, ethSrc: A.mac, ethType: 0x0806 };
  sw.send({
    type: 'FLOW_REMOVED', xid: 0, cookie: flowIdOf(k), priority: 100, reason: 1, table_id: 0, duration_sec: 1, duration_nsec: 0, idle_timeout: 0, hard_timeout: 5,
    packet_count: 1n, byte_count: 42n, match: [{ field: 'in_port', value: 3 }, { field: 'eth_dst', value: B.mac }, { field: 'eth_src', value: A.mac }, { field: 'eth_type', value: 0x0806 }],
  });
  const end = await until(() => ctl.facts.find((f) => f.kind === 'flow.end'), 3_000, 'flow.end');
  t.like(end, { flowId: flowIdOf(k), key: k, reason: 'hard-timeout', counters: { packets: 1n, bytes: 42n } });
});

test('a malformed PACKET_IN or FLOW_REMOVED gets the decoder\'s OFPT_ERROR and closes only its session', async (t) => {
  const good = encodeMessage({
    type: 'FLOW_REMOVED', xid: 0x4444, cookie: 1n, priority: 100, reason: 0, table_id: 0, duration_sec: 1, duration_nsec: 0, idle_timeout: 10, hard_timeout: 0,
    packet_count: 1n, byte_count: 1n, match: [{ field: 'in_port', value: 1 }],
  });
  const pin = packetIn(A.port, flow(5000));
  pin.writeUInt32BE(0x3333, 4);
  const bad: Buffer[] = [
    // in_port's OXM says 5 bytes: the match runs past its own length.
    Buffer.from(pin).fill(5, 24 + 7, 24 + 8),
    // bytes after the match
    (() => { const b = Buffer.concat([good, Buffer.alloc(8)]); b.writeUInt16BE(b.length, 2); return b; })(),
    // a PACKET_IN too short for its fixed part
    Buffer.from([4, 10, 0, 16, 0, 0, 0x22, 0x22, 0xff, 0xff, 0xff, 0xff, 0, 64, 0, 0]),
  ];
  for (const [i, bytes] of bad.entries()) {
    const { ctl, sw } = await upWithHosts(t, 0x60n + BigInt(i));
    const other = await FakeSwitch.connect(portOf(ctl.target), { datapathId: 0x70n });
    t.teardown(() => other.close());
    await until(() => ctl.controller.datapaths.get(0x70n)?.ready, 3_000, 'second switch up');
    const decoded = decodeMessage(bytes);
    t.false(decoded.ok);
    const want = !decoded.ok && errorFor(decoded.error, bytes);
    t.truthy(want);
    // A good packet-in first, in the same write: the bad message still ends the session.
    sw.sendRaw(Buffer.concat([packetIn(A.port, flow(6000)), bytes]));
    const err = await sw.waitFor((m) => m.type === 'ERROR');
    t.deepEqual(withoutXid(err), withoutXid(want as OfpMessage));
    t.is(err.xid, bytes.readUInt32BE(4));
    await sw.waitClosed();
    other.send({ type: 'ECHO_REQUEST', xid: 9, data: new Uint8Array(0) });
    await other.waitFor((m) => m.type === 'ECHO_REPLY' && m.xid === 9);
    t.deepEqual([...ctl.controller.datapaths.keys()], [0x70n]);
  }
});

test('a master demoted to slave answers no packet-in, also for hosts it learned while master', async (t) => {
  const { ctl, sw } = await upWithHosts(t, 0x53n);
  await ctl.controller.setRole('slave', 1n);
  const before = sw.received.length;
  // A new flow between learned hosts (FastForward would install it), then an echo in the same
  // read: the echo's reply comes after anything the packet-in earned.
  sw.sendRaw(Buffer.concat([packetIn(A.port, flow(7000)), encodeMessage({ type: 'ECHO_REQUEST', xid: 0x5151, data: new Uint8Array(0) })]));
  await sw.waitFor((m) => m.type === 'ECHO_REPLY' && m.xid === 0x5151);
  t.false(sw.received.slice(before).some((m) => m.type === 'FLOW_MOD' || m.type === 'PACKET_OUT'), 'a slave changes nothing on the switch');
  t.false(ctl.facts.some((f) => f.kind === 'flow.start'), 'and starts no flow');
});
