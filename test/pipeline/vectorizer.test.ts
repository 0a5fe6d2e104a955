import test from 'ava';
import { createHash } from 'node:crypto';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scratchDir } from './scratch.ts';
import { execa } from 'execa';
import { createPipeline, createVectorizer, DEFAULT_MODEL_DIR, FEATURE_COUNT } from '../../pipeline/index.ts';
import type { PipelineOutput } from '../../pipeline/index.ts';
import { generateTraffic } from '../../pipeline/traffic-generator.ts';
import { DenseModel } from '../../pipeline/dense.ts';
import { MicroBatcher } from '../../pipeline/vectorizer.ts';
import { modelId, readModelDir, readStoredModel } from '../../pipeline/model-files.ts';
import { writeFeatures } from '../../pipeline/features.ts';
import { assertValidEvents } from './schema.ts';

const KEY = new Uint8Array(32).fill(3);
const facts = generateTraffic({ seed: 42, flows: 400 });

function digest(outputs: PipelineOutput[]): string {
  const h = createHash('sha256');
  for (const o of outputs) if (o.vector) h.update(new Uint8Array(o.vector.buffer, o.vector.byteOffset, o.vector.byteLength));
  return h.digest('hex');
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

test('flow events get an L2-normalized vector of the documented dimension and an anomaly score; others get null', async (t) => {
  const pipeline = await createPipeline({ key: KEY });
  t.is(pipeline.dimension, 16);
  const out = await pipeline.process([{ kind: 'switch.down', time: 0, datapathId: 1n, reason: 'test' }, ...facts.slice(0, 50)]);
  assertValidEvents(t, out.map((o) => o.event));
  t.is(out[0]!.vector, null);
  t.is(out[0]!.anomaly, null);
  for (const o of out.slice(1)) {
    t.is(o.vector!.length, 16);
    t.true(Math.abs(Math.hypot(...o.vector!) - 1) < 1e-6);
    t.true(o.anomaly! >= 0);
  }
  await pipeline.close();
});

test('same model and events give the same vectors bit for bit: across processes, batch sizes and concurrent calls', async (t) => {
  const pipeline = await createPipeline({ key: KEY });
  const whole = digest(await pipeline.process(facts));
  const oneByOne: PipelineOutput[] = [];
  for (const f of facts) oneByOne.push(...(await pipeline.process([f])));
  t.is(digest(oneByOne), whole);
  const fresh = await createPipeline({ key: KEY, batch: { maxBatch: 7, maxWaitMs: 2 } });
  const concurrent = (await Promise.all(facts.map((f) => fresh.process([f])))).flat();
  t.is(digest(concurrent), whole);
  // Two separate Node processes compute the same bytes.
  const script = `
    import { createPipeline } from './pipeline/index.ts';
    import { generateTraffic } from './pipeline/traffic-generator.ts';
    import { createHash } from 'node:crypto';
    const p = await createPipeline({ key: new Uint8Array(32).fill(3) });
    const h = createHash('sha256');
    for (const o of await p.process(generateTraffic({ seed: 42, flows: 400 }))) if (o.vector) h.update(new Uint8Array(o.vector.buffer, o.vector.byteOffset, o.vector.byteLength));
    console.log(h.digest('hex'));`;
  const root = new URL('../../', import.meta.url).pathname;
  for (let run = 0; run < 2; run++) {
    const child = await execa(process.execPath, ['--input-type=module', '-e', script], { cwd: root, timeout: 60_000 });
    t.is(child.stdout.trim(), whole);
  }
});

test('the exact engine equals TensorFlow.js (cpu backend) bit for bit, and tfjs-wasm within 1e-5', async (t) => {
  const { tf, initTfjs, toLayersModel } = await import('../../pipeline/tfjs.ts');
  const files = await readModelDir(DEFAULT_MODEL_DIR);
  const exact = new DenseModel(files);
  const pipeline = await createPipeline({ privacy: 'raw', vectorize: false });
  const events = (await pipeline.process(facts)).map((o) => o.event);
  const rows = events.length;
  const x = new Float32Array(rows * FEATURE_COUNT);
  events.forEach((e, i) => writeFeatures(e, x, i * FEATURE_COUNT));
  exact.normalize(x, rows);
  const mine = exact.activations(x, rows);

  const outputsOf = async () => {
    const model = await toLayersModel(files);
    const all = tf.model({ inputs: model.inputs, outputs: model.layers.map((l) => l.output as import('@tensorflow/tfjs').SymbolicTensor) });
    const results = (all.predict(tf.tensor2d(x, [rows, FEATURE_COUNT])) as import('@tensorflow/tfjs').Tensor[]).map((r) => r.dataSync() as Float32Array);
    model.dispose();
    return results;
  };
  t.is(await initTfjs(), 'wasm');
  const wasm = await outputsOf();
  // The pipeline's 'tfjs' engine (wasm) gives the exact engine's vectors within the same tolerance.
  const viaTfjs = await createPipeline({ key: KEY, engine: 'tfjs' });
  const viaExact = await createPipeline({ key: KEY });
  const [a, b] = [await viaTfjs.process(facts), await viaExact.process(facts)];
  let vectorGap = 0;
  a.forEach((o, i) => o.vector?.forEach((v, k) => (vectorGap = Math.max(vectorGap, Math.abs(v - b[i]!.vector![k]!)))));
  t.true(vectorGap < 1e-5, `tfjs engine vectors differ by ${vectorGap}`);
  await viaTfjs.close();
  await tf.setBackend('cpu');
  const cpu = await outputsOf();
  t.is(cpu.length, mine.length);
  for (let l = 0; l < mine.length; l++) {
    t.deepEqual(Buffer.from(cpu[l]!.buffer, cpu[l]!.byteOffset, cpu[l]!.byteLength), Buffer.from(mine[l]!.buffer), `layer ${l} differs from tfjs-cpu`);
    let worst = 0;
    for (let i = 0; i < mine[l]!.length; i++) worst = Math.max(worst, Math.abs(wasm[l]![i]! - mine[l]![i]!));
    t.true(worst < 1e-5, `layer ${l}: tfjs-wasm differs by ${worst}`);
  }
});

test('similar flows get similar vectors, and port scans score as anomalies', async (t) => {
  const pipeline = await createPipeline({ key: KEY });
  const normal = (await pipeline.process(generateTraffic({ seed: 8, flows: 600 }))).filter((o) => o.event.event.action === 'flow.end');
  const dns = normal.filter((o) => o.event.destination?.port === 53);
  const https = normal.filter((o) => o.event.destination?.port === 443 && o.event.network?.type === 'ipv4');
  t.true(dns.length > 20 && https.length > 20);
  const mean = (xs: PipelineOutput[], ys: PipelineOutput[]) => {
    let s = 0;
    for (const a of xs.slice(0, 20)) for (const b of ys.slice(0, 20)) s += cosine(a.vector!, b.vector!);
    return s / 400;
  };
  t.true(mean(dns, dns) > mean(dns, https) + 0.2, `dns-dns ${mean(dns, dns)} vs dns-https ${mean(dns, https)}`);
  const scanOutputs = await pipeline.process(generateTraffic({ seed: 9, flows: 100, scan: true }));
  assertValidEvents(t, scanOutputs.map((o) => o.event));
  const scans = scanOutputs.filter((o) => o.event.event.action === 'flow.end');
  const median = (xs: PipelineOutput[]) => xs.map((o) => o.anomaly!).sort((a, b) => a - b)[xs.length >> 1]!;
  t.true(median(scans) > 10 * median(normal), `scan ${median(scans)} vs normal ${median(normal)}`);
});

test('micro-batching: concurrent rows share a model call, bounded by size; results equal unbatched', async (t) => {
  const model = new DenseModel(await readModelDir(DEFAULT_MODEL_DIR));
  let calls = 0;
  const counting = { dimension: model.dimension, forward: (f: Float32Array, n: number) => (calls++, model.forward(f, n)) };
  const rowsOf = (seed: number) => {
    const f = new Float32Array(FEATURE_COUNT).map((_, i) => ((seed * 31 + i * 7) % 13) / 3);
    return f;
  };
  const batcher = new MicroBatcher(counting, { maxBatch: 4, maxWaitMs: 5 });
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.run(rowsOf(i), 1)));
  t.is(calls, 3, '10 rows, at most 4 per call');
  for (let i = 0; i < 10; i++) t.deepEqual(results[i]!.vectors, model.forward(rowsOf(i), 1).vectors);
  calls = 0;
  const started = Date.now();
  await batcher.run(rowsOf(1), 1);
  t.is(calls, 1);
  t.true(Date.now() - started < 1000);
  t.throws(() => new MicroBatcher(counting, { maxBatch: 0, maxWaitMs: 0 }), { message: /maxBatch/ });
});

test('models are content-addressed under <data>/metadata/model: installed, verified, damage refused', async (t) => {
  const dir = await scratchDir(t);
  const messages: string[] = [];
  const pipeline = await createPipeline({ key: KEY, modelDir: dir, log: (m) => messages.push(m) });
  const id = pipeline.modelId!;
  t.is(id, modelId(await readModelDir(DEFAULT_MODEL_DIR)));
  t.regex(messages.join('\n'), new RegExp(`installed the default vectorizer model ${id}`));
  t.is((await readFile(join(dir, 'current'), 'utf8')).trim(), id);
  t.is(modelId(await readStoredModel(dir, id)), id);
  const weights = join(dir, id, 'weights.bin');
  const bytes = await readFile(weights);
  bytes[100]! ^= 1;
  await writeFile(weights, bytes);
  await t.throwsAsync(createPipeline({ key: KEY, modelDir: dir }), { message: new RegExp(`model ${id} in .* is damaged`) });
  await t.throwsAsync(createPipeline({ key: KEY, modelDir: dir, model: '../etc' }), { message: /64 hex digits/ });
});

test('events read back from a JSON log re-vectorize to the same bytes (index rebuild with the model a block names)', async (t) => {
  const dir = await scratchDir(t);
  const pipeline = await createPipeline({ key: KEY, modelDir: dir, log: () => {} });
  const live = await pipeline.process(facts);
  const logged = live.map((o) => JSON.parse(JSON.stringify({ seq: 0, ...o.event, prev: 'x', hash: 'y' })));
  const rebuild = await createVectorizer({ modelDir: dir, model: pipeline.modelId! });
  const again = await rebuild.vectorize(logged);
  t.is(digest(again.map((v, i) => ({ ...v, event: live[i]!.event }))), digest(live));
  t.deepEqual(again.map((v) => v.anomaly), live.map((o) => o.anomaly));
  await rebuild.close();
  await pipeline.close();
});
