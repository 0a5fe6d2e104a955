// The behaviour every vector index backend must show, as one list of ava tests run per
// backend (embedded, the Qdrant test double, a real Qdrant when QDRANT_URL is set).
import type { ExecutionContext, TestFn } from 'ava';
import type { VectorIndex } from '../../storage/index.ts';

export interface Backend {
  /** A fresh index of this identity, or the same one again when `reopen` names it. */
  open(model: string, dimension: number, reset?: boolean): Promise<VectorIndex>;
}

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return Float32Array.from(xs, (x) => x / n);
};

export function contractTests(test: TestFn, name: string, make: (t: ExecutionContext) => Promise<Backend>): void {
  test(`${name}: nearest first, exclusion, vectorOf, count and watermark`, async (t) => {
    const b = await make(t);
    const index = await b.open('m1', 3);
    t.is(index.watermark, -1);
    t.is(await index.count(), 0);
    t.deepEqual(await index.search(unit(1, 0, 0), 5), []);
    await index.add(
      [
        { seq: 0, vector: unit(1, 0, 0) },
        { seq: 2, vector: unit(1, 0.1, 0) },
        { seq: 3, vector: unit(0, 1, 0) },
        { seq: 5, vector: unit(-1, 0, 0) },
      ],
      6,
    );
    t.is(index.watermark, 6);
    t.is(await index.count(), 4);
    const hits = await index.search(Float32Array.of(2, 0, 0), 3);
    t.deepEqual(hits.map((h) => h.seq), [0, 2, 3]);
    t.true(Math.abs(hits[0]!.score - 1) < 1e-6);
    t.true(hits[0]!.score >= hits[1]!.score && hits[1]!.score >= hits[2]!.score);
    t.deepEqual((await index.search(unit(1, 0, 0), 2, { exclude: 0 })).map((h) => h.seq), [2, 3]);
    const v = await index.vectorOf(2);
    t.true(v !== undefined && Math.abs(v[0]! - unit(1, 0.1, 0)[0]!) < 1e-6);
    t.is(await index.vectorOf(1), undefined);
    await index.close();
  });

  test(`${name}: refuses vectors out of order, of the wrong size, or all zeros, and keeps what it had`, async (t) => {
    const b = await make(t);
    const index = await b.open('m1', 3);
    await index.add([{ seq: 4, vector: unit(1, 0, 0) }], 4);
    await t.throwsAsync(index.add([{ seq: 3, vector: unit(1, 0, 0) }], 5), { message: /out of order/ });
    await t.throwsAsync(index.add([{ seq: 5, vector: unit(1, 0) }], 5), { message: /3/ });
    await t.throwsAsync(index.add([], 2), { message: /watermark cannot move/ });
    await t.throwsAsync(index.search(new Float32Array(3), 1), { message: /zeros/ });
    await t.throwsAsync(index.search(unit(1, 0, 0), 0), { message: /k must be/ });
    t.is(index.watermark, 4);
    t.is(await index.count(), 1);
    await index.close();
  });

  test(`${name}: a reopened index keeps its vectors and watermark; another model or a reset starts empty`, async (t) => {
    const b = await make(t);
    const first = await b.open('m1', 3);
    await first.add([{ seq: 0, vector: unit(0, 0, 1) }, { seq: 1, vector: unit(0, 1, 1) }], 9);
    await first.close();
    const again = await b.open('m1', 3);
    t.is(again.watermark, 9);
    t.is(await again.count(), 2);
    t.deepEqual((await again.search(unit(0, 0, 1), 1)).map((h) => h.seq), [0]);
    await again.close();
    const other = await b.open('m2', 3);
    t.is(other.watermark, -1);
    t.is(await other.count(), 0);
    t.regex(other.repairs.join(), /model m1/);
    await other.add([{ seq: 0, vector: unit(1, 1, 1) }], 0);
    await other.close();
    const reset = await b.open('m2', 3, true);
    t.is(reset.watermark, -1);
    t.is(await reset.count(), 0);
    await reset.close();
  });
}
