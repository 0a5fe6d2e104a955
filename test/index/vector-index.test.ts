import test from 'ava';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QdrantClient } from '@qdrant/js-client-rest';
import { openEmbeddedIndex, openVectorIndex, type VectorIndex } from '../../storage/index.ts';
import { contractTests, type Backend } from './contract.ts';
import { scratch } from './fixture.ts';
import { startQdrantDouble } from './qdrant-double.ts';

contractTests(test, 'embedded backend', async (t) => {
  const dir = join(await scratch(t), 'index');
  return { open: async (model, dimension, reset) => openEmbeddedIndex({ dir, model, dimension, reset }) };
});

function qdrantBackend(t: { teardown(f: () => Promise<void>): void }, url: string): Backend {
  const collection = `gbtest-${process.pid}-${randomBytes(4).toString('hex')}`;
  t.teardown(async () => {
    const client = new QdrantClient({ url, checkCompatibility: false });
    for (const name of [collection, `${collection}-meta`]) await client.deleteCollection(name).catch(() => {});
  });
  return { open: (model, dimension, reset) => openVectorIndex({ backend: 'qdrant', qdrantUrl: url, qdrantCollection: collection, dir: '', dataDir: '', model, dimension, reset }) };
}

contractTests(test, 'qdrant backend against an in-process test double of Qdrant\'s REST API', async (t) => {
  const double = await startQdrantDouble();
  t.teardown(() => double.close());
  return qdrantBackend(t, double.url);
});

// The same contract against a real Qdrant server. None runs here or in CI, so these are
// skipped unless QDRANT_URL is set (e.g. QDRANT_URL=http://127.0.0.1:6333 npx ava test/index/).
const real = process.env.QDRANT_URL;
contractTests(real ? test : (test.skip as typeof test), 'qdrant backend against a real Qdrant (QDRANT_URL)', async (t) => qdrantBackend(t, real!));

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return Float32Array.from(xs, (x) => x / n);
};

async function filled(dir: string): Promise<VectorIndex> {
  const index = openEmbeddedIndex({ dir, model: 'm', dimension: 2 });
  await index.add([{ seq: 0, vector: unit(1, 0) }, { seq: 1, vector: unit(0, 1) }], 1);
  await index.close();
  return index;
}

test('embedded: a torn record at the end of vectors.bin is cut off on open', async (t) => {
  const dir = join(await scratch(t), 'index');
  await filled(dir);
  const file = join(dir, 'vectors.bin');
  const whole = statSync(file).size;
  t.is(whole, 2 * (8 + 2 * 4));
  appendFileSync(file, Buffer.alloc(7, 1)); // a write cut short by a crash
  const index = openEmbeddedIndex({ dir, model: 'm', dimension: 2 });
  t.is(await index.count(), 2);
  t.is(statSync(file).size, whole);
  t.regex(index.repairs.join(), /cut 7 bytes/);
  await index.add([{ seq: 2, vector: unit(1, 1) }], 2);
  await index.close();
  const again = openEmbeddedIndex({ dir, model: 'm', dimension: 2 });
  t.deepEqual((await again.search(unit(1, 1), 1)).map((h) => h.seq), [2]);
  await again.close();
});

test('embedded: records written after the last saved watermark are dropped on open, to be indexed again from the log', async (t) => {
  const dir = join(await scratch(t), 'index');
  await filled(dir);
  // A crash after the records' write(2) but before meta.json moved: the watermark says 1.
  const record = Buffer.alloc(16);
  record.writeDoubleLE(2, 0);
  record.writeFloatLE(1, 8);
  appendFileSync(join(dir, 'vectors.bin'), record);
  const index = openEmbeddedIndex({ dir, model: 'm', dimension: 2 });
  t.is(index.watermark, 1);
  t.is(await index.count(), 2);
  t.is(await index.vectorOf(2), undefined);
  await index.close();
});

test('embedded: adds made without waiting for each other land in order, and close waits for them and saves the watermark', async (t) => {
  const dir = join(await scratch(t), 'index');
  const index = openEmbeddedIndex({ dir, model: 'm', dimension: 2 });
  const adds = [];
  for (let seq = 0; seq < 50; seq++) adds.push(index.add([{ seq: 2 * seq, vector: new Float32Array([1, seq]) }], 2 * seq + 1));
  // One that breaks the order (seq 0 again) fails alone; the adds around it stand.
  const bad = index.add([{ seq: 0, vector: new Float32Array([1, 0]) }], 200);
  adds.push(index.add([{ seq: 100, vector: new Float32Array([1, 50]) }], 100));
  await index.close(); // without awaiting the adds: they were made before it, so they stand
  await t.throwsAsync(bad);
  await t.throwsAsync(index.add([{ seq: 101, vector: new Float32Array([1, 0]) }], 101), { message: /closed/ });
  t.is(statSync(join(dir, 'vectors.bin')).size, 51 * 16);
  await Promise.all(adds);
  const reopened = openEmbeddedIndex({ dir, model: 'm', dimension: 2 });
  t.teardown(() => reopened.close());
  t.is(reopened.watermark, 100);
  t.is(await reopened.count(), 51);
  t.is((await reopened.vectorOf(98))![1]! > 0, true);
  const best = await reopened.search(new Float32Array([1, 50]), 1);
  t.is(best[0]!.seq, 100);
});

test('embedded: an unreadable meta.json means an empty index, not a crash', async (t) => {
  const dir = join(await scratch(t), 'index');
  await filled(dir);
  writeFileSync(join(dir, 'meta.json'), '{"model":');
  const index = openEmbeddedIndex({ dir, model: 'm', dimension: 2 });
  t.is(index.watermark, -1);
  t.is(await index.count(), 0);
  t.deepEqual(JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')), { format: 1, model: 'm', dimension: 2, watermark: -1 });
  await index.close();
});

test('embedded: a second writer is refused; the index may not live inside <data>', async (t) => {
  const dir = await scratch(t);
  const index = openEmbeddedIndex({ dir: join(dir, 'index'), model: 'm', dimension: 2 });
  t.throws(() => openEmbeddedIndex({ dir: join(dir, 'index'), model: 'm', dimension: 2 }), { message: /another writer holds/ });
  await index.close();
  mkdirSync(join(dir, 'data'));
  await t.throwsAsync(openVectorIndex({ backend: 'embedded', dir: join(dir, 'data', 'index'), dataDir: join(dir, 'data'), model: 'm', dimension: 2 }), { message: /inside the data directory/ });
  await t.throwsAsync(openVectorIndex({ backend: 'embedded', dir: join(dir, 'data'), dataDir: join(dir, 'data'), model: 'm', dimension: 2 }), { message: /inside the data directory/ });
});
