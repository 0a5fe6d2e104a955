// Pipeline throughput and latency: `npm run bench -- pipeline`. Throughput is per CPU-second
// of this process (one core); latency is wall-clock.
// Frames parsed/s, events built/s (facts → private ECS events), events vectorized/s (features
// + model, exact engine and tfjs-wasm at several batch sizes), and the latency process() adds
// per event at low load (one fact per call, calls one after another). Then encode() (event
// JSON + vectors, what `ghostbridge run` logs) on facts shaped like the controller bench's,
// in the calling thread and in a worker thread (createThreadedPipeline).
// GB_BENCH_PIPELINE=run (or parts, latency) runs only those parts: parts = frames, Crypto-PAn,
// building, features, engines; latency = process() at low load; run = encode() on run-shaped facts.
import { createPipeline, createThreadedPipeline, type Pipeline } from '../pipeline/index.ts';
import type { FlowFact } from '../pipeline/index.ts';
import { generateTraffic } from '../pipeline/traffic-generator.ts';
import { ethernet, ipv4, tcp, ETH_IPV4, PROTO_TCP } from '../pipeline/frame-builder.ts';
import { parseFrame } from '../pipeline/frame.ts';
import { CryptoPAn } from '../pipeline/cryptopan.ts';
import { DenseModel } from '../pipeline/dense.ts';
import { TfjsEngine } from '../pipeline/tfjs-engine.ts';
import { readModelDir } from '../pipeline/model-files.ts';
import { FEATURE_COUNT, isVectorized, writeFeatures } from '../pipeline/features.ts';
import { DEFAULT_MODEL_DIR } from '../pipeline/index.ts';

const report = (what: string, value: string) => {
  console.log(`${what.padEnd(58)} ${value}`);
};
const perSecond = (n: number) => `${Math.round(n).toLocaleString('en')} /s`;

/** This process's CPU time in milliseconds: throughput per CPU-second is "on one core", whatever else the shared machine runs. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs fn repeatedly for about `ms` CPU milliseconds after a warm-up; returns items per CPU-second. */
function measure(items: number, fn: () => void, ms = 1500): number {
  const warm = cpuMs();
  while (cpuMs() - warm < 300) fn();
  let n = 0;
  const start = cpuMs();
  while (cpuMs() - start < ms) {
    fn();
    n += items;
  }
  return (n / (cpuMs() - start)) * 1000;
}

const selected = new Set((process.env.GB_BENCH_PIPELINE ?? 'parts,latency,run').split(','));
for (const part of selected) if (!['parts', 'latency', 'run'].includes(part)) throw new Error(`GB_BENCH_PIPELINE names parts, latency or run (comma-separated), got ${part}`);
const facts = generateTraffic({ seed: 1, flows: 20_000 });
const key = new Uint8Array(32).fill(5);

/** Facts per CPU-second through a pipeline's process(), after one warm-up pass (pseudonym cache, flow table). */
async function processRate(options: Parameters<typeof createPipeline>[0]): Promise<number> {
  const p = await createPipeline(options);
  await p.process(facts);
  const start = cpuMs();
  let n = 0;
  while (cpuMs() - start < 2000) {
    await p.process(facts);
    n += facts.length;
  }
  await p.close();
  return (n / (cpuMs() - start)) * 1000;
}

async function latency(label: string, engine: 'exact' | 'tfjs', sample: FlowFact[], maxWaitMs: number): Promise<void> {
  const p = await createPipeline({ privacy: 'pseudonymize', key, engine, batch: { maxWaitMs } });
  await p.process(sample.slice(0, 2000));
  const times: number[] = [];
  for (const f of sample) {
    const t0 = process.hrtime.bigint();
    await p.process([f]);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
    await new Promise((r) => setImmediate(r)); // low load: nothing queued behind the call
  }
  times.sort((a, b) => a - b);
  const q = (x: number) => times[Math.floor(times.length * x)]!.toFixed(1);
  report(`latency added per event, ${label}: p50 / p99`, `${q(0.5)} µs / ${q(0.99)} µs`);
  await p.close();
}
/** Frames, Crypto-PAn, event building, features and both engines, each on its own. */
async function parts(): Promise<void> {
  const frames = facts.flatMap((f) => (f.kind === 'flow.start' ? [f.frame] : []));
  report(`frames parsed (${frames.length} generated frames)`, perSecond(measure(frames.length, () => frames.forEach(parseFrame))));

  const cp = new CryptoPAn(key);
  const addrs = Array.from({ length: 1000 }, (_, i) => Uint8Array.of(10, 1, i >> 8, i & 255));
  report('Crypto-PAn IPv4, uncached (one AES-ECB call per address)', perSecond(measure(addrs.length, () => addrs.forEach((a) => cp.anonymize(a)))));

  for (const privacy of ['raw', 'pseudonymize'] as const) {
    report(`events built, ${privacy} (no vectors)`, perSecond(await processRate({ privacy, key, vectorize: false })));
  }

  const model = await readModelDir(DEFAULT_MODEL_DIR);
  const builder = await createPipeline({ privacy: 'pseudonymize', key, vectorize: false });
  const events = (await builder.process(facts)).map((o) => o.event).filter(isVectorized);
  const features = new Float32Array(events.length * FEATURE_COUNT);
  report('features computed from events', perSecond(measure(events.length, () => events.forEach((e, i) => writeFeatures(e, features, i * FEATURE_COUNT)))));

  const exact = new DenseModel(model);
  for (const batch of [1, 64, 4096]) {
    const x = features.slice(0, batch * FEATURE_COUNT);
    report(`vectorized, exact engine, batch ${batch} (features + model)`, perSecond(measure(batch, () => {
      for (let i = 0; i < batch; i++) writeFeatures(events[i]!, x, i * FEATURE_COUNT);
      exact.forward(x, batch);
    })));
  }
  const tfjs = await TfjsEngine.load(model);
  for (const batch of [1, 64, 1024, 4096]) {
    const x = features.slice(0, batch * FEATURE_COUNT);
    report(`vectorized, tfjs-wasm engine, batch ${batch} (model only)`, perSecond(measure(batch, () => tfjs.forward(x.slice(), batch), 1000)));
  }

  {
    const n = 4096;
    const a = exact.forward(features.slice(0, n * FEATURE_COUNT), n);
    const b = tfjs.forward(features.slice(0, n * FEATURE_COUNT), n);
    let vector = 0;
    let anomaly = 0;
    for (let i = 0; i < a.vectors.length; i++) vector = Math.max(vector, Math.abs(a.vectors[i]! - b.vectors[i]!));
    for (let i = 0; i < n; i++) anomaly = Math.max(anomaly, Math.abs(a.anomalies[i]! - b.anomalies[i]!) / Math.max(a.anomalies[i]!, 1e-9));
    report('tfjs-wasm vs exact: largest vector component difference', vector.toExponential(2));
    report('tfjs-wasm vs exact: largest relative anomaly difference', anomaly.toExponential(2));
  }

  report('end to end: facts → private events + vectors (exact)', perSecond(await processRate({ privacy: 'pseudonymize', key })));
}

async function latencies(): Promise<void> {
  await latency('exact engine', 'exact', facts.slice(0, 20_000), 0);
  await latency('tfjs-wasm engine, no wait', 'tfjs', facts.slice(0, 5_000), 0);
  await latency('tfjs-wasm engine, default 1 ms wait', 'tfjs', facts.slice(0, 2_000), 1);
}

/**
 * Facts as `ghostbridge run` gets them under bench/controller.bench.ts: 16 switches, each
 * packet-in a new TCP flow between two of 64 hosts, and the flow started 1,024 packet-ins
 * earlier reported ended.
 */
function runShapedFacts(packetIns: number): FlowFact[] {
  const out: FlowFact[] = [];
  const t0 = Date.UTC(2026, 10, 25, 13);
  const mac = (sw: number, h: number) => `02:00:${sw.toString(16).padStart(2, '0')}:00:00:${h.toString(16).padStart(2, '0')}`;
  for (let i = 0; i < packetIns; i++) {
    const sw = 1 + (i % 16);
    const src = (i >> 4) % 64;
    const dst = (src + 1) % 64;
    const srcPort = 1024 + ((i >> 10) % 60_000);
    const key = { inPort: src + 1, ethSrc: mac(sw, src), ethDst: mac(sw, dst), ethType: ETH_IPV4, ipSrc: `10.${sw}.0.${src}`, ipDst: `10.${sw}.0.${dst}`, ipProto: PROTO_TCP, srcPort, dstPort: 80 };
    const frame = ethernet({ src: key.ethSrc, dst: key.ethDst, type: ETH_IPV4 }, ipv4({ src: key.ipSrc, dst: key.ipDst, protocol: PROTO_TCP, ttl: 64 }, tcp({ srcPort, dstPort: 80, flags: 0x002 })));
    out.push({ kind: 'flow.start', time: t0 + (i >> 5), datapathId: BigInt(sw), flowId: BigInt(i), key, frame, frameLength: frame.length });
    const ended = out[out.length - 1 - 1024 * 2];
    if (ended?.kind === 'flow.start') {
      out.push({ kind: 'flow.end', time: t0 + (i >> 5), datapathId: ended.datapathId, flowId: ended.flowId, key: ended.key, counters: { packets: 1n, bytes: 64n }, durationSeconds: 1.5, reason: 'idle-timeout', idleTimeout: 10, hardTimeout: 0 });
    }
  }
  return out;
}

const threadCpuMs = () => {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
};
/**
 * 16 callers at once (one per switch session), 32 facts a call, over the run-shaped facts:
 * events per CPU-second of all threads, and µs of CPU per event in the calling thread and in
 * the others (the worker thread, GC helpers). `general`:
 * process() and JSON.stringify of each event (what run did before encode()).
 */
async function encodeRate(p: Pipeline, callBatches: FlowFact[][], general = false): Promise<string> {
  let last = '';
  for (let round = 0; round < 3; round++) { // the first rounds warm up (flow table, pseudonyms, JIT)
    const [all0, own0] = [cpuMs(), threadCpuMs()];
    let next = 0;
    let events = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < callBatches.length) {
        const batch = callBatches[next++]!;
        const n = general ? (await p.process(batch)).map((o) => JSON.stringify(o.event)).length : (await p.encode(batch)).jsons.length;
        events += n; // (not `events += await …`: that reads events before the wait)
      }
    }));
    const [all, own] = [cpuMs() - all0, threadCpuMs() - own0];
    last = `${perSecond((events / all) * 1000)} (µs an event: calling thread ${((own * 1000) / events).toFixed(2)}, others ${(((all - own) * 1000) / events).toFixed(2)})`;
  }
  await p.close();
  return last;
}
/** encode() on run-shaped facts, in the calling thread and in a worker thread, against process() + JSON.stringify. */
async function runShapedRates(): Promise<void> {
  const runShaped = runShapedFacts(40_000);
  const batches: FlowFact[][] = [];
  for (let i = 0; i < runShaped.length; i += 32) batches.push(runShaped.slice(i, i + 32));
  report('run-shaped facts → process() + JSON.stringify, in the calling thread', await encodeRate(await createPipeline({ key, log: () => {} }), batches, true));
  report('the same → event JSON + vectors, encode(), in the calling thread', await encodeRate(await createPipeline({ key, log: () => {} }), batches));
  report('the same, encode() in a worker thread (run\'s default)', await encodeRate(await createThreadedPipeline({ key, log: () => {} }), batches));
}

if (selected.has('parts')) await parts();
if (selected.has('latency')) await latencies();
if (selected.has('run')) await runShapedRates();
