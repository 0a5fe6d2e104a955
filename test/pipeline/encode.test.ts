// Pipeline.encode (events written as JSON text, vectors without anomaly scores; what
// `ghostbridge run` logs) against process() + JSON.stringify, the general path: the same
// text byte for byte, the same timestamps, the same vectors bit for bit, over generated
// traffic and the cases the fast path treats specially.
import test from 'ava';
import { createPipeline, type FlowFact } from '../../pipeline/index.ts';
import { generateTraffic } from '../../pipeline/traffic-generator.ts';
import { ethernet, icmp, ipv4, ipv6, tcp, udp, ETH_IPV4, ETH_IPV6, PROTO_TCP, PROTO_UDP } from '../../pipeline/frame-builder.ts';
import { assertValidEvents } from './schema.ts';
import { EventBuilder } from '../../pipeline/event-builder.ts';
import { Privacy } from '../../pipeline/privacy.ts';
import { FEATURE_COUNT, writeFeatures } from '../../pipeline/features.ts';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);
const OTHER_KEY = new Uint8Array(32).fill(9);
const dp = 0x1234n;
const t0 = Date.UTC(2026, 10, 25, 13, 0, 0);

type Step = FlowFact | { rotate: Uint8Array };

/** Runs the same steps through two fresh pipelines, one with process(), one with encode(), and compares. */
async function same(t: import('ava').ExecutionContext, privacy: 'pseudonymize' | 'raw' | 'drop', steps: Step[], options: { flowTableLimit?: number; batch?: number; vectorBatch?: { maxBatch: number; maxWaitMs: number }; schema?: boolean } = {}) {
  const general = await createPipeline({ privacy, key: KEY, flowTableLimit: options.flowTableLimit, batch: options.vectorBatch, log: () => {} });
  const fast = await createPipeline({ privacy, key: KEY, flowTableLimit: options.flowTableLimit, batch: options.vectorBatch, log: () => {} });
  const jsons: string[] = [];
  let compared = 0;
  let differ = 0;
  let vectors = 0; // compared vectors that are not null (were there none, nothing would be compared)
  const flush = async (facts: FlowFact[]) => {
    const expected = await general.process(facts);
    const got = await fast.encode(facts);
    t.is(got.jsons.length, facts.length);
    expected.forEach((o, i) => {
      const v = o.vector;
      const w = got.vectors[i] ?? null;
      if (v !== null) vectors++;
      const sameVector = v === null ? w === null : w !== null && Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(w.buffer, w.byteOffset, w.byteLength));
      if (JSON.stringify(o.event) !== got.jsons[i] || o.event['@timestamp'] !== got.timestamps[i] || !sameVector) {
        if (differ++ < 3) t.fail(`event ${compared + i} differs:\n${JSON.stringify(o.event)}\n${got.jsons[i]}\nvector ${v} / ${w}`);
      }
    });
    compared += facts.length;
    jsons.push(...got.jsons);
  };
  const size = options.batch ?? 64;
  let batch: FlowFact[] = [];
  for (const step of steps) {
    if ('rotate' in step) {
      await flush(batch);
      batch = [];
      await general.rotateKey(step.rotate);
      await fast.rotateKey(step.rotate);
      continue;
    }
    batch.push(step);
    if (batch.length === size) {
      await flush(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await flush(batch);
  t.is(differ, 0, `${differ} of ${compared} events differ`);
  t.true(vectors > 0, 'no vector was compared');
  if (options.schema ?? true) assertValidEvents(t, jsons.map((j) => JSON.parse(j)));
  await general.close();
  await fast.close();
}

for (const privacy of ['pseudonymize', 'raw', 'drop'] as const) {
  test(`${privacy}: encode writes process()'s events and vectors, byte for byte, over generated traffic`, async (t) => {
    const traffic = [...generateTraffic({ seed: 31, flows: 1500 }), ...generateTraffic({ seed: 32, flows: 300, scan: true, datapathId: 7n })];
    await same(t, privacy, traffic.sort((a, b) => a.time - b.time));
  });
}

// With a wait, or an engine without embed(), encode's vectors go through the micro-batcher
// (split at maxBatch) instead of the exact engine's embed(): the same vectors either way.
test('encode through the micro-batcher (maxWaitMs > 0, small batches) gives process()\'s vectors', async (t) => {
  await same(t, 'pseudonymize', generateTraffic({ seed: 36, flows: 200 }), { vectorBatch: { maxBatch: 5, maxWaitMs: 1 } });
});

test('encode: ends of unknown flows, unknown counters, odd numbers, switch events, a key rotated mid-flow, a full flow table', async (t) => {
  const frame = ethernet({ src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:0b', type: ETH_IPV4, vlans: [5, 6] }, ipv4({ src: '10.9.0.1', dst: '10.9.0.2', protocol: PROTO_UDP, ttl: 3 }, udp({ srcPort: 5353, dstPort: 5353 })));
  const key = { inPort: 2, ethSrc: '02:00:00:00:00:0a', ethDst: '02:00:00:00:00:0b', ethType: ETH_IPV4, ipSrc: '10.9.0.1', ipDst: '10.9.0.2', ipProto: 17, srcPort: 5353, dstPort: 5353 };
  const start = (flowId: bigint, time: number): FlowFact => ({ kind: 'flow.start', time, datapathId: dp, flowId, key, frame, frameLength: 1514 });
  const end = (flowId: bigint, time: number, extra: Partial<Extract<FlowFact, { kind: 'flow.end' }>> = {}): FlowFact => ({
    kind: 'flow.end', time, datapathId: dp, flowId, key, counters: { packets: 3n, bytes: 900n }, durationSeconds: 1.5, reason: 'idle-timeout', idleTimeout: 10, hardTimeout: 0, ...extra,
  });
  const steps: Step[] = [
    { kind: 'switch.up', time: t0, datapathId: dp, address: '10.0.0.1:6653', ports: [{ portNo: 1, name: 'p"1\\', hwAddr: '02:00:00:00:00:01', linkUp: true, adminUp: false }] },
    start(1n, t0 + 1),
    { kind: 'flow.update', time: t0 + 2, datapathId: dp, flowId: 1n, key, counters: { packets: null, bytes: 10n }, durationSeconds: 0 },
    { kind: 'flow.update', time: t0 + 3, datapathId: dp, flowId: 1n, key, counters: { packets: 2n, bytes: null }, durationSeconds: 1e-10 },
    { rotate: OTHER_KEY },
    end(1n, t0 + 4, { counters: { packets: null, bytes: null }, reason: 'hard-timeout', hardTimeout: 4 }),
    end(1n, t0 + 5), // the same flow again: no longer known
    end(2n, t0 + 6_000, { key: { inPort: 7, ethType: 0x86dd, ipSrc: 'fd00::1', ipDst: 'fd00::2', ipProto: 58, icmpType: 128, icmpCode: 0 } }),
    end(3n, t0 + 7, { key: { inPort: 1, ethSrc: '02:00:00:00:00:0c', ethDst: 'ff:ff:ff:ff:ff:ff' }, counters: { packets: 2n ** 64n - 2n, bytes: 0n } }),
    { kind: 'port.status', time: t0 + 8, datapathId: dp, reason: 'delete', port: { portNo: 1, name: 'eth1', hwAddr: '02:00:00:00:00:01', linkUp: false, adminUp: false } },
    // A flow table of 2: flow 4 is forgotten when 6 starts, so its end is built from the key.
    start(4n, t0 + 9), start(5n, t0 + 10), start(6n, t0 + 11), end(4n, t0 + 12), end(5n, t0 + 13), end(6n, t0 + 14, { durationSeconds: 3600.123456789 }),
    { kind: 'switch.down', time: t0 + 15, datapathId: dp, reason: 'echo timeout' },
  ];
  for (const privacy of ['pseudonymize', 'raw', 'drop'] as const) {
    await same(t, privacy, privacy === 'pseudonymize' ? steps : steps.filter((s) => !('rotate' in s)), { flowTableLimit: 2, batch: 3 });
  }
});

test('encode without vectors gives no vectors and the same events', async (t) => {
  const facts = generateTraffic({ seed: 33, flows: 50 });
  const general = await createPipeline({ key: KEY, vectorize: false });
  const fast = await createPipeline({ key: KEY, vectorize: false });
  const got = await fast.encode(facts);
  t.deepEqual(got.jsons, (await general.process(facts)).map((o) => JSON.stringify(o.event)));
  t.true(got.vectors.every((v) => v === null));
});

// The vectors above are compared after the model, whose ReLUs could hide a feature column
// that drifted: the feature rows encode() writes per flow and per event are compared with
// writeFeatures of the built event directly, bit for bit.
test('encode writes the feature rows writeFeatures gives for the built events', (t) => {
  const facts = [...generateTraffic({ seed: 34, flows: 400 }), ...generateTraffic({ seed: 35, flows: 100, scan: true, datapathId: 7n })].sort((a, b) => a.time - b.time);
  const general = new EventBuilder(new Privacy('pseudonymize', KEY));
  const fast = new EventBuilder(new Privacy('pseudonymize', KEY));
  const want = new Float32Array(FEATURE_COUNT);
  const got = new Float32Array(FEATURE_COUNT).fill(NaN); // encode must write every column
  let rows = 0;
  let differ = 0;
  for (const fact of facts) {
    const event = general.build(fact);
    const encoded = fast.encode(fact, got, 0);
    t.is(encoded.vectorized, event.event.action.startsWith('flow.'));
    if (!encoded.vectorized) continue;
    writeFeatures(event, want, 0);
    if (!Buffer.from(got.buffer).equals(Buffer.from(want.buffer)) && differ++ < 3) t.fail(`${event.event.action} features differ:\n${[...want]}\n${[...got]}`);
    got.fill(NaN);
    rows++;
  }
  t.true(rows > 1000, `${rows} flow events compared`);
  t.is(differ, 0);
});

// A flow's unchanging text is written member by member from its parts (event-json.ts): the
// frames generated traffic does not have (fragments, IPv4 options, IPv6 extension headers,
// cut-off frames, other EtherTypes and protocols, QinQ) and keys whose texts need escapes
// in JSON (raw mode shows the key's addresses as given) give process()'s text too. Among
// them a lone surrogate beside non-ASCII text JSON.stringify leaves as it is: a shortcut
// quoting all of U+0080 and up unescaped would write it raw and fail here.
test('encode: odd first packets and keys with texts JSON must escape', async (t) => {
  const mac = { src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:0b' };
  const frames = [
    ethernet({ ...mac, type: ETH_IPV4 }, ipv4({ src: '10.1.0.1', dst: '10.1.0.2', protocol: PROTO_UDP, ttl: 9, options: Uint8Array.of(7, 3, 4), moreFragments: true }, udp({ srcPort: 53, dstPort: 53 }))),
    ethernet({ ...mac, type: ETH_IPV4 }, ipv4({ src: '10.1.0.1', dst: '10.1.0.2', protocol: PROTO_TCP, fragmentOffset: 1480 }, new Uint8Array(20))),
    ethernet({ ...mac, type: ETH_IPV6, vlans: [10, 20, 30] }, ipv6({ src: 'fd00::1', dst: 'fd00::2', protocol: 58, extensions: [{ type: 0 }, { type: 44, fragmentOffset: 0 }] }, icmp({ type: 135, code: 0 }))),
    ethernet({ ...mac, type: ETH_IPV6 }, ipv6({ src: 'fd00::1', dst: 'fd00::2', protocol: 132 }, new Uint8Array(12))),
    ethernet({ ...mac, type: ETH_IPV4 }, ipv4({ src: '10.1.0.1', dst: '10.1.0.2', protocol: PROTO_TCP }, tcp({ srcPort: 1, dstPort: 2, flags: 0x1ff }))).subarray(0, 40),
    ethernet({ ...mac, type: 0x88cc }, new Uint8Array(30)),
    Uint8Array.of(1, 2, 3),
  ];
  const steps: FlowFact[] = frames.flatMap((frame, i): FlowFact[] => {
    const key = i === 6
      ? { inPort: 4, ethSrc: 'a"b\\c', ethDst: 'é\u2028\udc00', ipSrc: '10.0.0.1\n', ipDst: '\u0001', ipProto: 99, srcPort: 7, dstPort: 8 }
      : { inPort: i, ethSrc: mac.src, ethDst: mac.dst };
    const flowId = BigInt(100 + i);
    return [
      { kind: 'flow.start', time: t0 + i, datapathId: dp, flowId, key, frame, frameLength: frame.length + 1000 },
      { kind: 'flow.end', time: t0 + i + 1, datapathId: dp, flowId, key, counters: { packets: 2n, bytes: 3000n }, durationSeconds: 0.25, reason: 'delete', idleTimeout: 0, hardTimeout: 60 },
    ];
  });
  // (Not schema-valid: in raw mode the last key's texts are shown as given, and they are no addresses.)
  for (const privacy of ['pseudonymize', 'raw', 'drop'] as const) await same(t, privacy, steps, { batch: 5, schema: false });
});
