// End to end: frames built byte by byte → flow facts → pipeline → schema-valid ECS events.
import test from 'ava';
import { createPipeline } from '../../pipeline/index.ts';
import type { FlowFact, PipelineOutput } from '../../pipeline/index.ts';
import { ethernet, ipv4, ipv6, tcp, udp, ETH_IPV4, ETH_IPV6, PROTO_TCP, PROTO_UDP } from '../../pipeline/frame-builder.ts';
import { assertValidEvents, isValidEvent } from './schema.ts';
import { hostOf } from '../../pipeline/event-builder.ts';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const dp = 0xabcdn;
const t0 = Date.UTC(2026, 10, 25, 9, 0, 0);
const clientMac = '02:11:22:33:44:55';
const serverMac = '02:66:77:88:99:aa';

function tcpFlow(flowId: bigint, startMs: number): FlowFact[] {
  const frame = ethernet({ src: clientMac, dst: serverMac, type: ETH_IPV4, vlans: [42] }, ipv4({ src: '192.168.7.20', dst: '198.51.100.9', protocol: PROTO_TCP, ttl: 64 }, tcp({ srcPort: 51000, dstPort: 443, flags: 0x002 })));
  const key = { inPort: 3, ethSrc: clientMac, ethDst: serverMac, ethType: ETH_IPV4, vlanId: 42, ipSrc: '192.168.7.20', ipDst: '198.51.100.9', ipProto: 6, srcPort: 51000, dstPort: 443 };
  return [
    { kind: 'flow.start', time: startMs, datapathId: dp, flowId, key, frame, frameLength: frame.length },
    { kind: 'flow.update', time: startMs + 10_000, datapathId: dp, flowId, key, counters: { packets: 40n, bytes: 30_000n }, durationSeconds: 10 },
    { kind: 'flow.end', time: startMs + 25_000, datapathId: dp, flowId, key, counters: { packets: 90n, bytes: 81_000n }, durationSeconds: 24.5, reason: 'idle-timeout', idleTimeout: 10, hardTimeout: 0 },
  ];
}

const switchFacts: FlowFact[] = [
  { kind: 'switch.up', time: t0 - 1000, datapathId: dp, address: '192.168.7.1:40022', ports: [{ portNo: 1, name: 'eth1', hwAddr: '02:00:00:00:00:01', linkUp: true, adminUp: true }] },
  { kind: 'port.status', time: t0 + 50_000, datapathId: dp, reason: 'modify', port: { portNo: 1, name: 'eth1', hwAddr: '02:00:00:00:00:01', linkUp: false, adminUp: true } },
  { kind: 'switch.down', time: t0 + 60_000, datapathId: dp, reason: 'connection closed' },
];

async function run(privacy: 'pseudonymize' | 'raw' | 'drop', facts: FlowFact[]): Promise<PipelineOutput[]> {
  const pipeline = await createPipeline({ privacy, key: KEY });
  try {
    return await pipeline.process(facts);
  } finally {
    await pipeline.close();
  }
}

test('every kind of event, in every privacy mode, matches the JSON Schema', async (t) => {
  const facts = [switchFacts[0]!, ...tcpFlow(7n, t0), switchFacts[1]!, switchFacts[2]!];
  for (const mode of ['pseudonymize', 'raw', 'drop'] as const) {
    const out = await run(mode, facts);
    t.deepEqual(out.map((o) => o.event.event.action), ['switch.up', 'flow.start', 'flow.update', 'flow.end', 'port.status', 'switch.down']);
    assertValidEvents(t, out.map((o) => o.event));
  }
});

test('a flow record joins start and end: duration, counters, reason, one flow id', async (t) => {
  const [start, update, end] = (await run('pseudonymize', tcpFlow(0x1234n, t0))).map((o) => o.event);
  t.is(start!.ghostbridge.flow!.id, '0000000000001234');
  t.is(end!.ghostbridge.flow!.id, start!.ghostbridge.flow!.id);
  t.is(end!.event.start, start!['@timestamp']);
  t.is(end!.event.end, new Date(t0 + 25_000).toISOString());
  t.is(end!.event.duration, 24_500_000_000);
  t.is(end!.event.reason, 'idle-timeout');
  t.like(end!.network, { packets: 90, bytes: 81_000, transport: 'tcp', type: 'ipv4', vlan: { id: '42' } });
  t.like(end!.source, { packets: 90, bytes: 81_000, port: 51000 });
  t.like(update!.network, { packets: 40, bytes: 30_000 });
  // The end carries the first packet's facts, remembered from the start.
  t.deepEqual(end!.ghostbridge.flow!.first_packet!.tcp_flags, ['SYN']);
  t.is(end!.network!.community_id, start!.network!.community_id);
  t.is(end!.source!.ip, start!.source!.ip);
});

test('pseudonymize mode shows no raw address; raw mode shows them; drop shows none', async (t) => {
  const [pseudo] = await run('pseudonymize', tcpFlow(1n, t0));
  const text = JSON.stringify(pseudo!.event);
  for (const raw of ['192.168.7.20', '198.51.100.9', clientMac, serverMac]) t.false(text.includes(raw), raw);
  t.regex(pseudo!.event.source!.ip!, /^\d+\.\d+\.\d+\.\d+$/);
  t.is(pseudo!.event.ghostbridge.privacy.key_id!.length, 16);
  const [raw] = await run('raw', tcpFlow(1n, t0));
  t.like(raw!.event.source, { ip: '192.168.7.20', mac: clientMac, port: 51000 });
  t.is(raw!.event.ghostbridge.privacy.key_id, undefined);
  const drop = await run('drop', [switchFacts[0]!, ...tcpFlow(1n, t0)]);
  for (const o of drop) {
    const s = JSON.stringify(o.event);
    t.false(/"(ip|mac|community_id)"/.test(s), s);
  }
  t.is(drop[1]!.event.source!.port, 51000);
});

test('community_id is computed over the pseudonyms, and both directions agree', async (t) => {
  const pipeline = await createPipeline({ key: KEY, vectorize: false });
  const there = tcpFlow(1n, t0)[0]!;
  const backFrame = ethernet({ src: serverMac, dst: clientMac, type: ETH_IPV4 }, ipv4({ src: '198.51.100.9', dst: '192.168.7.20', protocol: PROTO_TCP }, tcp({ srcPort: 443, dstPort: 51000, flags: 0x012 })));
  const back: FlowFact = { kind: 'flow.start', time: t0 + 1, datapathId: dp, flowId: 2n, key: { inPort: 1 }, frame: backFrame, frameLength: backFrame.length };
  const [a, b] = await pipeline.process([there, back]);
  t.is(a!.event.network!.community_id, b!.event.network!.community_id);
  // The raw-address Community ID (what Zeek would log) must not appear: it would confirm guesses.
  const rawRun = await run('raw', [there]);
  t.not(a!.event.network!.community_id, rawRun[0]!.event.network!.community_id);
  await pipeline.close();
});

test('IPv6 and UDP flows; a flow seen only at its end still makes a valid record', async (t) => {
  const frame = ethernet({ src: clientMac, dst: serverMac, type: ETH_IPV6 }, ipv6({ src: 'fd00:7::20', dst: '2001:db8::53', protocol: PROTO_UDP, hopLimit: 60 }, udp({ srcPort: 40001, dstPort: 53 })));
  const out = await run('pseudonymize', [
    { kind: 'flow.start', time: t0, datapathId: dp, flowId: 9n, key: { inPort: 2 }, frame, frameLength: frame.length },
    { kind: 'flow.end', time: t0 + 5000, datapathId: dp, flowId: 10n, key: { inPort: 2, ipSrc: '10.0.0.1', ipDst: '10.0.0.2', ipProto: 17, srcPort: 1, dstPort: 2 }, counters: { packets: null, bytes: null }, durationSeconds: 5, reason: 'hard-timeout', idleTimeout: 0, hardTimeout: 5 },
  ]);
  assertValidEvents(t, out.map((o) => o.event));
  t.like(out[0]!.event.network, { type: 'ipv6', transport: 'udp' });
  t.regex(out[0]!.event.destination!.ip!, /:/);
  t.is(out[0]!.event.ghostbridge.flow!.first_packet!.ttl, 60);
  t.is(out[1]!.event.event.start, new Date(t0).toISOString());
  t.is(out[1]!.event.network!.packets, undefined, 'unknown counters are left out, not zero');
});

test('the schema rejects what the pipeline must never write', (t) => {
  const base = { '@timestamp': new Date(t0).toISOString(), ecs: { version: '8.17.0' }, event: { kind: 'state', category: ['network'], type: ['end'], action: 'switch.down', dataset: 'ghostbridge.switch' }, ghostbridge: { datapath_id: '000000000000abcd', privacy: { mode: 'drop' } } };
  t.true(isValidEvent(base));
  t.false(isValidEvent({ ...base, payload: 'x' }), 'unknown top-level field');
  t.false(isValidEvent({ ...base, observer: { ip: '10.0.0.1' } }), 'an address in drop mode');
  t.false(isValidEvent({ ...base, ghostbridge: { ...base.ghostbridge, privacy: { mode: 'pseudonymize' } } }), 'pseudonymize without key_id');
});

test('the switch address is read from every form Node gives, port removed, IPv4-mapped unmapped', (t) => {
  t.is(hostOf('10.0.0.1:6653'), '10.0.0.1');
  t.is(hostOf('[fd00::1]:6653'), 'fd00::1');
  t.is(hostOf('fd00::1:40000'), 'fd00::1');
  t.is(hostOf('::ffff:127.0.0.1:51234'), '127.0.0.1');
  t.is(hostOf('/run/openvswitch/br0.mgmt'), undefined);
});

test('the live-flow table is bounded: the oldest start is forgotten, its end still makes a valid record', async (t) => {
  const pipeline = await createPipeline({ key: KEY, vectorize: false, flowTableLimit: 2 });
  const flows = [1n, 2n, 3n].map((id, i) => tcpFlow(id, t0 + i * 1000));
  const out = await pipeline.process([...flows.map((f) => f[0]!), ...flows.map((f) => f[2]!)]);
  const ends = out.slice(3).map((o) => o.event);
  assertValidEvents(t, ends);
  t.is(ends[0]!.ghostbridge.flow!.first_packet, undefined, 'flow 1 was forgotten');
  t.is(ends[0]!.event.start, new Date(t0 + 25_000 - 24_500).toISOString(), 'its start comes from the switch duration');
  t.truthy(ends[1]!.ghostbridge.flow!.first_packet);
  t.truthy(ends[2]!.ghostbridge.flow!.first_packet);
});
