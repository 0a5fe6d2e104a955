// Pipeline throughput and latency: `npm run bench -- pipeline`.
// Frames parsed/s, events built/s (facts → private ECS events), events vectorized/s (features
// + model, exact engine and tfjs-wasm at several batch sizes), and the latency process() adds
// per event at low load (one fact per call, calls one after another).
import { createPipeline } from '../pipeline/index.ts';
import type { FlowFact } from '../pipeline/index.ts';
import { generateTraffic } from '../pipeline/traffic-generator.ts';
import { parseFrame } from '../pipeline/frame.ts';
import { CryptoPAn } from '../pipeline/cryptopan.ts';
import { DenseModel } from '../pipeline/dense.ts';
import { TfjsEngine } from '../pipeline/tfjs-engine.ts';
import { readModelDir } from '../pipeline/model-files.ts';
import { FEATURE_COUNT, isVectorized, writeFeatures } from '../pipeline/features.ts';
import { DEFAULT_MODEL_DIR } from '../pipeline/index.ts';

const rows: [string, string][] = [];
const report = (what: string, value: string) => {
  rows.push([what, value]);
  console.log(`${what.padEnd(58)} ${value}`);
};
const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en')} /s`;

/** Runs fn repeatedly for about `ms` milliseconds after a warm-up; returns items per second. */
function measure(items: number, fn: () => void, ms = 1500): number {
  const warm = performance.now();
  while (performance.now() - warm < 300) fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    fn();
    n += items;
  }
  return (n / (performance.now() - start)) * 1000;
}

const facts = generateTraffic({ seed: 1, flows: 20_000 });
const frames = facts.flatMap((f) => (f.kind === 'flow.start' ? [f.frame] : []));
report(`frames parsed (${frames.length} generated frames)`, rate(measure(frames.length, () => frames.forEach(parseFrame)), 1000));

const key = new Uint8Array(32).fill(5);
const cp = new CryptoPAn(key);
const addrs = Array.from({ length: 1000 }, (_, i) => Uint8Array.of(10, 1, i >> 8, i & 255));
report('Crypto-PAn IPv4, uncached (one AES-ECB call per address)', rate(measure(addrs.length, () => addrs.forEach((a) => cp.anonymize(a))), 1000));

for (const privacy of ['raw', 'pseudonymize'] as const) {
  const p = await createPipeline({ privacy, key, vectorize: false });
  await p.process(facts); // warms the pseudonym cache and the flow table
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 1500) {
    await p.process(facts);
    n += facts.length;
  }
  report(`events built, ${privacy} (no vectors)`, rate(n, performance.now() - start));
}

const model = await readModelDir(DEFAULT_MODEL_DIR);
const builder = await createPipeline({ privacy: 'pseudonymize', key, vectorize: false });
const events = (await builder.process(facts)).map((o) => o.event).filter(isVectorized);
const features = new Float32Array(events.length * FEATURE_COUNT);
report('features computed from events', rate(measure(events.length, () => events.forEach((e, i) => writeFeatures(e, features, i * FEATURE_COUNT))), 1000));

const exact = new DenseModel(model);
for (const batch of [1, 64, 4096]) {
  const x = features.slice(0, batch * FEATURE_COUNT);
  report(`vectorized, exact engine, batch ${batch} (features + model)`, rate(measure(batch, () => {
    for (let i = 0; i < batch; i++) writeFeatures(events[i]!, x, i * FEATURE_COUNT);
    exact.forward(x, batch);
  }), 1000));
}
const tfjs = await TfjsEngine.load(model);
for (const batch of [1, 64, 1024, 4096]) {
  const x = features.slice(0, batch * FEATURE_COUNT);
  report(`vectorized, tfjs-wasm engine, batch ${batch} (model only)`, rate(measure(batch, () => tfjs.forward(x.slice(), batch), 1000), 1000));
}

async function latency(label: string, engine: 'exact' | 'tfjs', sample: FlowFact[]): Promise<void> {
  const p = await createPipeline({ privacy: 'pseudonymize', key, engine });
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
await latency('exact engine', 'exact', facts.slice(0, 20_000));
await latency('tfjs-wasm engine', 'tfjs', facts.slice(0, 5_000));
