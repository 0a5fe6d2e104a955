import test from 'ava';
import { join } from 'node:path';
import { IndexFeed, openEmbeddedIndex, openLogReader, openQdrantIndex, QdrantIndex, rebuildIndex, type VectorIndex } from '../../storage/index.ts';
import { freePort } from '../controller/child.ts';
import { loggedSite, siteTraffic, type LoggedSite } from './fixture.ts';
import { startQdrantDouble } from './qdrant-double.ts';

const qdrantConnectingLater = (url: string, model: string) => QdrantIndex.connectLater({ url, collection: 'flows', model, dimension: 16, timeoutMs: 2000 });

const withVector = (s: LoggedSite, upTo = s.outputs.length) => s.outputs.slice(0, upTo).filter((o) => o.vector).length;

/** Feeds outputs[from, to) the way `ghostbridge run` does: append, then offer the pipeline's vectors. */
async function live(s: LoggedSite, feed: IndexFeed, from: number, to: number, chunk = 25): Promise<void> {
  for (let i = from; i < to; i += chunk) {
    const end = Math.min(to, i + chunk);
    const first = await s.append(i, end);
    feed.offer(first, s.outputs.slice(i, end).map((o) => o.vector));
  }
  await feed.settled();
}

/** The k nearest of a sample of indexed events, by seq. */
async function neighbours(index: VectorIndex, seqs: number[]): Promise<{ seq: number; hits: { seq: number; score: number }[] }[]> {
  const out = [];
  for (const seq of seqs) out.push({ seq, hits: await index.search((await index.vectorOf(seq))!, 10, { exclude: seq }) });
  return out;
}

function sameResults(t: any, a: Awaited<ReturnType<typeof neighbours>>, b: typeof a): void {
  t.deepEqual(a.map((x) => x.hits.map((h) => h.seq)), b.map((x) => x.hits.map((h) => h.seq)));
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i]!.hits.length; j++) t.true(Math.abs(a[i]!.hits[j]!.score - b[i]!.hits[j]!.score) < 1e-6);
}

const sample = (s: LoggedSite) => s.outputs.flatMap((o, seq) => (o.vector && seq % 17 === 0 ? [seq] : []));

test('live indexing uses the pipeline\'s vectors, and a rebuild from events.jsonl gives the same search results', async (t) => {
  const s = await loggedSite(t);
  const feed = new IndexFeed({ index: openEmbeddedIndex({ dir: s.index, model: s.model, dimension: 16 }), log: s.log, vectorize: s.vectorize });
  feed.start();
  await live(s, feed, 0, s.outputs.length);
  t.is(s.revectorized(), 0, 'the live path indexes what the pipeline computed, without reading the log back');
  t.is(feed.index.watermark, s.outputs.length - 1);
  t.is(await feed.index.count(), withVector(s));
  const liveResults = await neighbours(feed.index, sample(s));

  const rebuilt = openEmbeddedIndex({ dir: join(s.dir, 'rebuilt'), model: s.model, dimension: 16, reset: true });
  const reader = openLogReader(s.data);
  const result = await rebuildIndex(rebuilt, reader, s.vectorize);
  reader.close();
  t.deepEqual(result, { watermark: s.outputs.length - 1, vectors: withVector(s) });
  sameResults(t, await neighbours(rebuilt, sample(s)), liveResults);
  await rebuilt.close();
  await feed.close();
});

test('the watermark catches up from the log after the index was stopped, and survives the restart', async (t) => {
  const s = await loggedSite(t);
  const half = Math.floor(s.outputs.length / 2);
  const first = new IndexFeed({ index: openEmbeddedIndex({ dir: s.index, model: s.model, dimension: 16 }), log: s.log, vectorize: s.vectorize });
  first.start();
  await live(s, first, 0, half);
  await first.close();
  // The index is down while the rest is logged.
  await s.append(half, s.outputs.length);
  const reopened = openEmbeddedIndex({ dir: s.index, model: s.model, dimension: 16 });
  t.is(reopened.watermark, half - 1);
  const second = new IndexFeed({ index: reopened, log: s.log, vectorize: s.vectorize });
  second.start();
  await second.settled();
  t.is(reopened.watermark, s.outputs.length - 1);
  t.is(await reopened.count(), withVector(s));
  t.is(s.revectorized(), s.outputs.length - half, 'only the events logged while the index was down are read back');

  const rebuilt = openEmbeddedIndex({ dir: join(s.dir, 'rebuilt'), model: s.model, dimension: 16, reset: true });
  await rebuildIndex(rebuilt, s.log, s.vectorize);
  sameResults(t, await neighbours(reopened, sample(s)), await neighbours(rebuilt, sample(s)));
  await rebuilt.close();
  await second.close();
});

test('a full live queue drops batches, and the feed reads them back from the log', async (t) => {
  const s = await loggedSite(t);
  const feed = new IndexFeed({ index: openEmbeddedIndex({ dir: s.index, model: s.model, dimension: 16 }), log: s.log, vectorize: s.vectorize, maxQueued: 10 });
  feed.start();
  await feed.settled();
  // Offer everything at once without waiting: most of it does not fit in the queue.
  for (let i = 0; i < s.outputs.length; i += 25) {
    const end = Math.min(s.outputs.length, i + 25);
    feed.offer(await s.append(i, end), s.outputs.slice(i, end).map((o) => o.vector));
  }
  await feed.settled();
  t.true(s.revectorized() > 0);
  t.is(feed.index.watermark, s.outputs.length - 1);
  t.is(await feed.index.count(), withVector(s));
  await feed.close();
});

test('similar flows come back before dissimilar ones: a port-scan flow\'s neighbours are port-scan flows', async (t) => {
  const { facts, firstScan } = siteTraffic(300, 30);
  const s = await loggedSite(t, facts);
  await s.append(0, s.outputs.length);
  const index = openEmbeddedIndex({ dir: s.index, model: s.model, dimension: 16 });
  await rebuildIndex(index, s.log, s.vectorize);
  const isScan = (seq: number) => seq >= firstScan;
  // Scans of registered ports (1024 and up: most of them); the model tells a lone scan of a
  // well-known port apart from the others, so those have ordinary flows as neighbours.
  const scans = s.outputs.flatMap((o, seq) => (isScan(seq) && o.event.event.action === 'flow.end' && o.event.destination!.port! >= 1024 ? [seq] : []));
  t.true(scans.length >= 20);
  for (const seq of scans) {
    const hits = await index.search((await index.vectorOf(seq))!, 5, { exclude: seq });
    t.deepEqual(hits.filter((h) => !isScan(h.seq)), [], `neighbours of scan flow ${seq}`);
  }
  // And the other way round: the scans come last for an ordinary HTTPS flow.
  const https = s.outputs.findIndex((o, seq) => !isScan(seq) && o.event.event.action === 'flow.end' && o.event.destination?.port === 443);
  const all = await index.search((await index.vectorOf(https))!, await index.count(), { exclude: https });
  const scanRank = all.findIndex((h) => isScan(h.seq));
  t.true(scanRank > all.length / 2, `the first scan flow ranks ${scanRank} of ${all.length}`);
  await index.close();
});

test('qdrant backend against an in-process test double of Qdrant\'s REST API: while the server is down the log goes on, and the index catches up when it is back', async (t) => {
  const s = await loggedSite(t);
  let double = await startQdrantDouble();
  const port = Number(new URL(double.url).port);
  t.teardown(() => double.close());
  const errors: string[] = [];
  const index = await openQdrantIndex({ url: double.url, collection: 'flows', model: s.model, dimension: 16, timeoutMs: 2000 });
  const feed = new IndexFeed({ index, log: s.log, vectorize: s.vectorize, retryMs: 50, onError: (e) => errors.push(e.message) });
  feed.start();
  const third = Math.floor(s.outputs.length / 3);
  await live(s, feed, 0, third);
  t.is(index.watermark, third - 1);
  const stored = double.collections;
  await double.close();
  await live(s, feed, third, 2 * third); // appends succeed; indexing fails
  t.true(errors.length > 0);
  t.is(s.log.writtenSeq, 2 * third - 1);
  t.true(index.watermark < 2 * third - 1);
  double = await startQdrantDouble({ port, collections: stored });
  await live(s, feed, 2 * third, s.outputs.length);
  for (let i = 0; i < 200 && index.watermark < s.outputs.length - 1; i++) {
    await new Promise((r) => setTimeout(r, 25));
    await feed.settled();
  }
  t.is(index.watermark, s.outputs.length - 1);
  t.is(await index.count(), withVector(s));
  await feed.close();
});

test('qdrant backend against an in-process test double of Qdrant\'s REST API: a server down when indexing starts is connected to later, and the index catches up', async (t) => {
  const s = await loggedSite(t);
  const port = await freePort();
  const errors: string[] = [];
  const index = qdrantConnectingLater(`http://127.0.0.1:${port}`, s.model);
  const feed = new IndexFeed({ index, log: s.log, vectorize: s.vectorize, retryMs: 50, onError: (e) => errors.push(e.message) });
  feed.start();
  await live(s, feed, 0, s.outputs.length);
  t.true(errors.length > 0);
  t.is(index.watermark, -1);
  const double = await startQdrantDouble({ port });
  t.teardown(() => double.close());
  for (let i = 0; i < 200 && index.watermark < s.outputs.length - 1; i++) await new Promise((r) => setTimeout(r, 25));
  t.is(index.watermark, s.outputs.length - 1);
  t.is(await index.count(), withVector(s));
  await feed.close();
});
