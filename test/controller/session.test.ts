// Sessions over real sockets with a scripted switch end (fake-switch.ts): the handshake,
// version negotiation, keepalive, multipart assembly, bad input, reconnects, roles and
// backpressure.
import test, { type ExecutionContext } from 'ava';
import { FakeSwitch } from './fake-switch.ts';
import { startController, until } from './harness.ts';
import { encodeMessage, OFP_NO_BUFFER, OFPP, type FlowStats, type OfpMessage, type Port } from '../../openflow/index.ts';
import { flowIdOf } from '../../controller/index.ts';
import { ipv4, tcp } from './frames.ts';
import type { FlowFact } from '../../pipeline/facts.ts';

const portOf = (target: string) => Number(target.split(':').pop());
const is = <T extends OfpMessage['type']>(type: T) => (m: OfpMessage): m is Extract<OfpMessage, { type: T }> => m.type === type;

const port1: Port = { port_no: 1, hw_addr: '02:00:00:00:01:01', name: 'p1', config: 0, state: 0, curr: 0, advertised: 0, supported: 0, peer: 0, curr_speed: 0, max_speed: 0 };

test('handshake: features, config, async, port description, table-miss, barrier, then switch.up', async (t) => {
  const ctl = await startController({ session: { missSendLen: 256 } });
  t.teardown(() => ctl.stop());
  const sw = await FakeSwitch.connect(portOf(ctl.target), { datapathId: 0xabcn, ports: [port1] });
  t.teardown(() => sw.close());
  const up = await until(() => ctl.facts.find((f) => f.kind === 'switch.up'), 3_000, 'switch.up');
  t.deepEqual(sw.received.map((m) => m.type === 'MULTIPART_REQUEST' ? `MP_${m.multipart_type}` : m.type).slice(0, 7), [
    'HELLO', 'FEATURES_REQUEST', 'SET_ASYNC', 'SET_CONFIG', 'FLOW_MOD', 'MP_PORT_DESC', 'BARRIER_REQUEST',
  ]);
  t.like(await sw.waitFor(is('SET_CONFIG')), { miss_send_len: 256 });
  t.like(await sw.waitFor(is('SET_ASYNC')), { flow_removed_mask: [0b1111, 0], packet_in_mask: [0b11, 0] });
  t.like(await sw.waitFor(is('FLOW_MOD')), { priority: 0, match: [] });
  t.like(up, { datapathId: 0xabcn, ports: [{ portNo: 1, name: 'p1', hwAddr: '02:00:00:00:01:01', linkUp: true, adminUp: true }] });
  t.true(ctl.logs.some((l) => l.msg === 'switch up' && l.dpid === '0000000000000abc'), 'logs carry the datapath id');
});

test('a switch without OpenFlow 1.3 gets HELLO_FAILED and is closed; a newer one that also speaks 1.3 is kept', async (t) => {
  const ctl = await startController();
  t.teardown(() => ctl.stop());
  const of10 = await FakeSwitch.connect(portOf(ctl.target), { helloVersion: 1, helloBitmap: null });
  const error = await of10.waitFor(is('ERROR'));
  t.like(error, { err_type: 0, code: 0 });
  await of10.waitClosed();
  const onlyOf12 = await FakeSwitch.connect(portOf(ctl.target), { helloVersion: 4, helloBitmap: 1 << 3 });
  await onlyOf12.waitFor(is('ERROR'));
  await onlyOf12.waitClosed();
  const of14 = await FakeSwitch.connect(portOf(ctl.target), { helloVersion: 5, helloBitmap: (1 << 5) | (1 << 4) });
  t.teardown(() => of14.close());
  await of14.waitFor(is('FEATURES_REQUEST'));
  t.false(of14.closed);
  t.true(ctl.logs.some((l) => String(l.reason).includes('does not speak OpenFlow 1.3')));
});

test('echo both ways: requests are answered; a switch that misses 3 echoes is dropped', async (t) => {
  const ctl = await startController({ session: { echoIntervalMs: 100, echoMisses: 3 } });
  t.teardown(() => ctl.stop());
  const deaf = await FakeSwitch.connect(portOf(ctl.target), { answerEcho: false, datapathId: 7n });
  await until(() => ctl.facts.some((f) => f.kind === 'switch.up'), 3_000, 'switch.up');
  deaf.send({ type: 'ECHO_REQUEST', xid: 4242, data: Uint8Array.of(1, 2, 3) });
  const echoed = await deaf.waitFor(is('ECHO_REPLY'));
  t.deepEqual([echoed.xid, [...echoed.data]], [4242, [1, 2, 3]]);
  await deaf.waitClosed(5_000);
  const down = await until(() => ctl.facts.find((f) => f.kind === 'switch.down'), 3_000, 'switch.down');
  t.regex((down as Extract<FlowFact, { kind: 'switch.down' }>).reason, /no echo reply 3 times/);
  t.true(deaf.received.filter((m) => m.type === 'ECHO_REQUEST').length >= 3);
  t.is(ctl.controller.sessions.size, 0);
});

test('flow stats split over REPLY_MORE parts are assembled; all-ones counters read as unknown', async (t) => {
  const key = { inPort: 1, ethSrc: '02:00:00:00:00:01', ethDst: '02:00:00:00:00:02', ethType: 0x0806 };
  const stat = (i: number, unknown = false): FlowStats => ({
    table_id: 0, duration_sec: i, duration_nsec: 500_000_000, priority: 100, idle_timeout: 10, hard_timeout: 0, flags: 1,
    cookie: flowIdOf({ ...key, inPort: i }), packet_count: unknown ? 0xffffffffffffffffn : BigInt(i * 10), byte_count: unknown ? 0xffffffffffffffffn : BigInt(i * 1000),
    match: [{ field: 'in_port', value: i }, { field: 'eth_dst', value: key.ethDst }, { field: 'eth_src', value: key.ethSrc }, { field: 'eth_type', value: 0x0806 }],
    instructions: [],
  });
  const flowStats = [stat(1), stat(2), stat(3), stat(4), stat(5, true), { ...stat(6), cookie: 12345n }];
  const ctl = await startController({ session: { statsIntervalMs: 0 } });
  t.teardown(() => ctl.stop());
  const sw = await FakeSwitch.connect(portOf(ctl.target), { flowStats, flowStatsPerPart: 2 });
  t.teardown(() => sw.close());
  await until(() => ctl.facts.filter((f) => f.kind === 'flow.update').length >= 5, 3_000, 'five flow updates');
  const updates = ctl.facts.filter((f) => f.kind === 'flow.update');
  t.is(updates.length, 5, 'every part counted, the foreign cookie ignored');
  t.deepEqual(updates.map((u) => u.kind === 'flow.update' && u.key.inPort), [1, 2, 3, 4, 5]);
  t.like(updates[1], { counters: { packets: 20n, bytes: 2000n }, durationSeconds: 2.5 });
  t.like(updates[4], { counters: { packets: null, bytes: null } });
});

/** A controller whose fact consumer can be held shut, and one switch connected to it. */
async function gatedSetup(t: ExecutionContext, datapathId: bigint) {
  let open = Promise.resolve();
  let release = () => {};
  const gate = {
    close: () => void (open = new Promise<void>((r) => (release = r))),
    open: () => release(),
  };
  const ctl = await startController({ consume: () => open });
  t.teardown(() => ctl.stop());
  const sw = await FakeSwitch.connect(portOf(ctl.target), { datapathId });
  t.teardown(() => sw.close());
  await until(() => ctl.facts.some((f) => f.kind === 'switch.up'), 3_000, 'switch.up');
  return { ctl, sw, gate };
}

test('a packet-in becomes flow.start before its flow-mod and packet-out are sent (the consumer is awaited)', async (t) => {
  const { ctl, sw, gate } = await gatedSetup(t, 1n);
  const A = '02:00:00:00:00:0a';
  const B = '02:00:00:00:00:0b';
  sw.packetIn(1, ipv4({ src: A, dst: B }, '10.0.0.1', '10.0.0.2', 6, tcp(1000, 80)));
  await sw.waitFor((m) => m.type === 'PACKET_OUT' && m.actions.some((a) => a.type === 'OUTPUT' && a.port === OFPP.FLOOD));
  gate.close();
  const reply = ipv4({ src: B, dst: A }, '10.0.0.2', '10.0.0.1', 6, tcp(80, 1000));
  sw.packetIn(2, reply);
  const start = await until(() => ctl.facts.find((f) => f.kind === 'flow.start'), 3_000, 'flow.start');
  t.deepEqual(start.kind === 'flow.start' && [...start.frame], [...reply]);
  await new Promise((r) => setTimeout(r, 200));
  t.false(sw.received.some((m) => m.type === 'FLOW_MOD' && m.priority === 100), 'nothing forwarded while the event is not recorded');
  gate.open();
  const mod = await sw.waitFor((m) => m.type === 'FLOW_MOD' && m.priority === 100);
  t.is(mod.type === 'FLOW_MOD' && mod.cookie, start.kind === 'flow.start' && start.flowId);
  await sw.waitFor((m) => m.type === 'PACKET_OUT' && m.actions.some((a) => a.type === 'OUTPUT' && a.port === 1));
});

test('while the consumer is busy the controller stops reading that switch (no unbounded buffering)', async (t) => {
  const { ctl, sw, gate } = await gatedSetup(t, 9n);
  gate.close();
  sw.send({ type: 'PORT_STATUS', xid: 0, reason: 2, desc: port1 });
  await until(() => ctl.facts.some((f) => f.kind === 'port.status'), 3_000, 'port.status');
  const session = ctl.controller.datapaths.get(9n)!;
  const readBefore = session.socket.bytesRead;
  // 8 MB of echo requests: far more than socket buffers hold.
  const echo = encodeMessage({ type: 'ECHO_REQUEST', xid: 77, data: new Uint8Array(1000) });
  const burst = Buffer.concat(Array.from({ length: 8000 }, () => echo));
  sw.sendRaw(burst);
  await new Promise((r) => setTimeout(r, 500));
  t.true(session.socket.bytesRead - readBefore < 4_000_000, `read ${session.socket.bytesRead - readBefore} bytes while paused`);
  t.is(sw.received.filter((m) => m.type === 'ECHO_REPLY').length, 0);
  gate.open();
  await until(() => sw.received.filter((m) => m.type === 'ECHO_REPLY').length === 8000, 10_000, 'all echo replies after release');
  t.pass();
});

test('a switch that stops reading gets nothing more read from it (the send buffer stays bounded)', async (t) => {
  const ctl = await startController();
  t.teardown(() => ctl.stop());
  const sw = await FakeSwitch.connect(portOf(ctl.target), { datapathId: 0x77n });
  t.teardown(() => sw.close());
  await until(() => ctl.facts.some((f) => f.kind === 'switch.up'), 3_000, 'switch.up');
  sw.socket.pause();
  // 20,000 broadcasts of 1000 bytes: each is flooded back in a packet-out of the same size.
  const frame = new Uint8Array(1000).fill(0xff, 0, 6);
  frame.set([2, 0, 0, 0, 0, 1, 0x88, 0xb5], 6);
  const one = encodeMessage({ type: 'PACKET_IN', xid: 0, buffer_id: OFP_NO_BUFFER, total_len: 1000, reason: 0, table_id: 0, cookie: 0n, match: [{ field: 'in_port', value: 1 }], data: frame });
  const n = 20_000;
  sw.sendRaw(Buffer.concat(Array.from({ length: n }, () => one)));
  await new Promise((r) => setTimeout(r, 1_000));
  const session = ctl.controller.datapaths.get(0x77n)!;
  t.true(session.socket.writableLength < 2_000_000, `queued to send: ${session.socket.writableLength} bytes`);
  t.true(session.socket.bytesRead < n * one.length, `read ${session.socket.bytesRead} of ${n * one.length} bytes`);
  sw.socket.resume();
  await until(() => sw.received.filter((m) => m.type === 'PACKET_OUT').length === n, 20_000, 'every packet-out once the switch reads again');
  t.pass();
});

test('malformed input closes only that session, with OFPT_ERROR, logged with the datapath id', async (t) => {
  const ctl = await startController();
  t.teardown(() => ctl.stop());
  const bad = await FakeSwitch.connect(portOf(ctl.target), { datapathId: 0x11n });
  const good = await FakeSwitch.connect(portOf(ctl.target), { datapathId: 0x22n });
  t.teardown(() => good.close());
  await until(() => ctl.facts.filter((f) => f.kind === 'switch.up').length === 2, 3_000, 'two switches up');
  // Message type 200 does not exist.
  bad.sendRaw(Uint8Array.of(4, 200, 0, 12, 0, 0, 0x12, 0x34, 1, 2, 3, 4));
  const err = await bad.waitFor(is('ERROR'));
  t.like(err, { xid: 0x1234, err_type: 1, code: 1 });
  t.deepEqual([...err.data], [4, 200, 0, 12, 0, 0, 0x12, 0x34, 1, 2, 3, 4], 'the error echoes the offending bytes');
  await bad.waitClosed();
  t.true(ctl.logs.some((l) => l.msg === 'malformed message from switch' && l.dpid === '0000000000000011'));
  good.send({ type: 'ECHO_REQUEST', xid: 99, data: new Uint8Array(0) });
  t.like(await good.waitFor((m) => m.type === 'ECHO_REPLY' && m.xid === 99), { xid: 99 });
  t.deepEqual([...ctl.controller.datapaths.keys()], [0x22n]);
});

test('a length field below the header size, a truncated body and a cut-off message each close the session', async (t) => {
  const ctl = await startController();
  t.teardown(() => ctl.stop());
  const port = portOf(ctl.target);
  const short = await FakeSwitch.connect(port, { datapathId: 1n });
  await short.waitFor(is('FEATURES_REQUEST'));
  short.sendRaw(Uint8Array.of(4, 2, 0, 4, 0, 0, 0, 9));
  t.like(await short.waitFor(is('ERROR')), { err_type: 1, code: 6, xid: 9 });
  await short.waitClosed();
  // A FEATURES_REPLY whose length covers only part of its body.
  const truncated = await FakeSwitch.connect(port, { datapathId: 2n });
  await truncated.waitFor(is('FEATURES_REQUEST'));
  truncated.sendRaw(Uint8Array.of(4, 6, 0, 12, 0, 0, 0, 5, 0, 0, 0, 1));
  t.like(await truncated.waitFor(is('ERROR')), { err_type: 1, code: 6, xid: 5 }, 'OFPBRC_BAD_LEN, answering the truncated message');
  await truncated.waitClosed();
  const cut = await FakeSwitch.connect(port, { datapathId: 3n });
  await until(() => ctl.controller.datapaths.has(3n), 3_000, 'dpid 3');
  cut.sendRaw(Uint8Array.of(4, 2, 0, 100, 0, 0, 0, 1, 9, 9));
  cut.socket.end();
  await until(() => ctl.logs.some((l) => String(l.reason).includes('inside a message')), 3_000, 'the cut-off message is logged');
  await until(() => ctl.controller.sessions.size === 0, 3_000, 'all sessions gone');
  t.pass();
});

// Serial: it counts the process's timers, which concurrent tests would add to.
test.serial('a datapath that reconnects replaces its old session, leaking no session, request or timer', async (t) => {
  const ctl = await startController({ session: { echoIntervalMs: 50, statsIntervalMs: 50 } });
  t.teardown(() => ctl.stop());
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const baseline = timers();
  const first = await FakeSwitch.connect(portOf(ctl.target), { datapathId: 0x5n });
  await until(() => ctl.facts.some((f) => f.kind === 'switch.up'), 3_000, 'first up');
  const old = ctl.controller.datapaths.get(0x5n)!;
  const second = await FakeSwitch.connect(portOf(ctl.target), { datapathId: 0x5n });
  t.teardown(() => second.close());
  await first.waitClosed();
  await until(() => ctl.facts.filter((f) => f.kind === 'switch.up').length === 2, 3_000, 'second up');
  t.true(old.closed);
  t.is(ctl.controller.sessions.size, 1);
  t.not(ctl.controller.datapaths.get(0x5n), old);
  t.true(old.socket.destroyed);
  t.is(old.socket.listenerCount('data'), 1, 'its socket is destroyed; no listeners were added after close');
  second.close();
  await until(() => ctl.controller.sessions.size === 0, 3_000, 'no sessions');
  await new Promise((r) => setTimeout(r, 100));
  t.true(timers() <= baseline, `timers: ${timers()} now, ${baseline} before`);
});

test('many switches at once', async (t) => {
  const ctl = await startController();
  t.teardown(() => ctl.stop());
  const n = 64;
  const sws = await Promise.all(Array.from({ length: n }, (_, i) => FakeSwitch.connect(portOf(ctl.target), { datapathId: BigInt(i + 1) })));
  t.teardown(() => sws.forEach((s) => s.close()));
  await until(() => ctl.facts.filter((f) => f.kind === 'switch.up').length === n, 10_000, `${n} switches up`);
  t.is(ctl.controller.datapaths.size, n);
  t.deepEqual(new Set(ctl.facts.map((f) => f.datapathId)).size, n);
});

test('roles: master with a generation id first, slave installs nothing, and the role can change later', async (t) => {
  const master = await startController({ session: { role: 'master', generationId: 5n } });
  t.teardown(() => master.stop());
  const a = await FakeSwitch.connect(portOf(master.target));
  t.teardown(() => a.close());
  t.like(await a.waitFor(is('ROLE_REQUEST')), { role: 2, generation_id: 5n });
  await a.waitFor(is('BARRIER_REQUEST'));
  const types = a.received.map((m) => m.type);
  t.true(types.indexOf('ROLE_REQUEST') < types.indexOf('FLOW_MOD'), 'the role is claimed before the table is touched');

  const slave = await startController({ session: { role: 'slave', generationId: 6n } });
  t.teardown(() => slave.stop());
  const b = await FakeSwitch.connect(portOf(slave.target));
  t.teardown(() => b.close());
  t.like(await b.waitFor(is('ROLE_REQUEST')), { role: 3, generation_id: 6n });
  await until(() => slave.facts.some((f) => f.kind === 'switch.up'), 3_000, 'slave up');
  t.false(b.received.some((m) => m.type === 'FLOW_MOD' || m.type === 'SET_CONFIG'), 'a slave changes nothing on the switch');

  await t.throwsAsync(slave.controller.setRole('master', 1n << 64n), { instanceOf: RangeError });
  t.false(b.closed, 'a bad generation id is refused before anything is sent');
  await slave.controller.setRole('master', 7n);
  t.like(await b.waitFor((m) => m.type === 'ROLE_REQUEST' && m.role === 2), { generation_id: 7n });
  t.like(await b.waitFor(is('FLOW_MOD')), { priority: 0, match: [] }, 'promoted, it installs the table-miss entry');
  await b.waitFor(is('SET_CONFIG'));
});

test('stop waits for the facts of sessions that closed just before, switch.down included', async (t) => {
  let slow = false;
  const ctl = await startController({ consume: async () => (slow ? new Promise((r) => setTimeout(r, 300)) : undefined) });
  const sw = await FakeSwitch.connect(portOf(ctl.target), { datapathId: 0x99n });
  await until(() => ctl.facts.some((f) => f.kind === 'switch.up'), 3_000, 'switch.up');
  slow = true;
  sw.send({ type: 'PORT_STATUS', xid: 0, reason: 2, desc: port1 });
  await until(() => ctl.facts.some((f) => f.kind === 'port.status'), 3_000, 'port.status handed over');
  sw.close();
  await until(() => ctl.controller.sessions.size === 0, 3_000, 'session closed');
  await ctl.stop();
  const settled = ctl.facts.length;
  await new Promise((r) => setTimeout(r, 700));
  t.is(ctl.facts.length, settled, 'nothing reached the consumer after stop() returned');
  t.true(ctl.facts.some((f) => f.kind === 'switch.down'));
});
