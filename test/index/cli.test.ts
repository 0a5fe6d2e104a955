import test from 'ava';
import { execa } from 'execa';
import { join } from 'node:path';
import { openEmbeddedIndex, openQdrantIndex } from '../../storage/index.ts';
import { startQdrantDouble } from './qdrant-double.ts';
import { loggedSite } from './fixture.ts';

const bin = new URL('../../bin/ghostbridge', import.meta.url).pathname;

test('ghostbridge index rebuild recreates the index from events.jsonl with the model the blocks name', async (t) => {
  const s = await loggedSite(t);
  await s.append(0, s.outputs.length);
  const header = await s.log.cutBlock();
  t.is(header!.model, s.model);
  await s.log.close();
  const r = await execa(bin, ['index', 'rebuild', '--data', s.data, '--index', s.index], { reject: false });
  t.is(r.exitCode, 0, r.stderr);
  const vectors = s.outputs.filter((o) => o.vector).length;
  t.regex(r.stdout, new RegExp(`model ${s.model} \\(named by the blocks\\): ${vectors} vectors, watermark ${s.outputs.length - 1}`));
  const index = openEmbeddedIndex({ dir: s.index, model: s.model, dimension: 16 });
  t.is(index.watermark, s.outputs.length - 1);
  t.is(await index.count(), vectors);
  const seq = s.outputs.findIndex((o) => o.vector);
  t.deepEqual(Array.from((await index.vectorOf(seq))!), Array.from(s.outputs[seq]!.vector!));
  await index.close();
});

test('ghostbridge index rebuild refuses an index directory inside <data>, and the qdrant backend without a URL', async (t) => {
  const s = await loggedSite(t);
  await s.log.close();
  const inside = await execa(bin, ['index', 'rebuild', '--data', s.data, '--index', join(s.data, 'idx')], { reject: false });
  t.not(inside.exitCode, 0);
  t.regex(inside.stderr, /inside the data directory/);
  const qdrant = await execa(bin, ['index', 'rebuild', '--data', s.data, '--backend', 'qdrant'], { reject: false });
  t.not(qdrant.exitCode, 0);
  t.regex(qdrant.stderr, /needs a URL/);
});

test('ghostbridge index rebuild --backend qdrant, against an in-process test double of Qdrant\'s REST API', async (t) => {
  const s = await loggedSite(t);
  await s.append(0, s.outputs.length);
  await s.log.close();
  const double = await startQdrantDouble();
  t.teardown(() => double.close());
  const r = await execa(bin, ['index', 'rebuild', '--data', s.data, '--backend', 'qdrant', '--qdrant-url', double.url, '--qdrant-collection', 'flows'], { reject: false });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /no block names a model: the current one/);
  const index = await openQdrantIndex({ url: double.url, collection: 'flows', model: s.model, dimension: 16 });
  t.is(index.watermark, s.outputs.length - 1);
  t.is(await index.count(), s.outputs.filter((o) => o.vector).length);
  const seq = s.outputs.findIndex((o) => o.vector);
  t.is((await index.search(s.outputs[seq]!.vector!, 1))[0]!.seq, seq);
});
