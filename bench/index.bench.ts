// Vector index benchmark (embedded backend): vectors indexed per second, re-open time, and
// exact top-10 query latency (p50/p99) at 10^5 and 10^6 vectors of the model's dimension
// (16); then the feed's catch-up rate from a real log (read events back, vectorize, index).
// Vectors are drawn around 64 random centres, like flows of a few kinds.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPipeline, createVectorizer, modelDirOf, type EcsEvent } from '../pipeline/index.ts';
import { generateTraffic, seededRandom } from '../pipeline/traffic-generator.ts';
import { IndexFeed, initData, openEmbeddedIndex, openEventLog, type IndexEntry } from '../storage/index.ts';

const D = 16;
const random = seededRandom(5);
const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const centres = Array.from({ length: 64 }, () => Float32Array.from({ length: D }, gauss));
function vector(): Float32Array {
  const c = centres[Math.floor(random() * centres.length)]!;
  return Float32Array.from(c, (x) => x + 0.3 * gauss());
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const rows: string[][] = [['vectors', 'indexed/s', 'file MB', 'reopen ms', 'query p50 ms', 'query p99 ms', 'queries']];

for (const n of [100_000, 1_000_000]) {
  const dir = mkdtempSync(join(tmpdir(), 'gb-index-bench-'));
  try {
    const index = openEmbeddedIndex({ dir, model: 'bench', dimension: D });
    const batch = 4096;
    let t0 = performance.now();
    for (let seq = 0; seq < n; seq += batch) {
      const entries: IndexEntry[] = [];
      for (let s = seq; s < Math.min(n, seq + batch); s++) entries.push({ seq: s, vector: vector() });
      await index.add(entries, entries[entries.length - 1]!.seq);
    }
    await index.close(); // includes the fdatasync and the watermark save
    const addRate = n / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    const reopened = openEmbeddedIndex({ dir, model: 'bench', dimension: D });
    const reopenMs = performance.now() - t0;
    const queries = n >= 1_000_000 ? 100 : 300;
    const times: number[] = [];
    for (let q = 0; q < queries; q++) {
      const v = vector();
      const s = performance.now();
      await reopened.search(v, 10);
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    const mb = statSync(join(dir, 'vectors.bin')).size / 2 ** 20;
    rows.push([n.toLocaleString('en'), Math.round(addRate).toLocaleString('en'), mb.toFixed(0), reopenMs.toFixed(0), percentile(times, 0.5).toFixed(2), percentile(times, 0.99).toFixed(2), String(queries)]);
    await reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
print(rows);

// Catch-up from a real log: events appended by the real writer, read back by the feed,
// re-vectorized with the exact engine and indexed.
{
  const dir = mkdtempSync(join(tmpdir(), 'gb-index-bench-'));
  try {
    const data = join(dir, 'data');
    await initData({ dir: data });
    const pipeline = await createPipeline({ key: new Uint8Array(32).fill(1), modelDir: modelDirOf(data), log: () => {} });
    const log = await openEventLog({ dir: data, model: pipeline.modelId });
    let events = 0;
    for (let seed = 1; events < 100_000; seed++) {
      const out = await pipeline.process(generateTraffic({ seed, flows: 2000 }));
      await log.append(out.map((o) => o.event));
      events += out.length;
    }
    await pipeline.close();
    const vectorizer = await createVectorizer({ modelDir: modelDirOf(data), log: () => {} });
    const feed = new IndexFeed({
      index: openEmbeddedIndex({ dir: join(dir, 'index'), model: vectorizer.modelId, dimension: vectorizer.dimension }),
      log,
      vectorize: async (records) => (await vectorizer.vectorize(records as unknown as EcsEvent[])).map((v) => v.vector),
    });
    const t0 = performance.now();
    await feed.catchUp();
    const s = (performance.now() - t0) / 1000;
    print([
      ['catch-up from the log', 'events', 'seconds', 'events/s'],
      ['read + vectorize + index', events.toLocaleString('en'), s.toFixed(2), Math.round(events / s).toLocaleString('en')],
    ]);
    await feed.close();
    await vectorizer.close();
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(table: string[][]): void {
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  console.log('');
  for (const r of table) console.log(r.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  '));
}
