// FlowTable against the Map it replaces: the same answers, size and iteration order over a
// long random run of sets, re-sets, deletes and clears (growing, shrinking, deleted marks
// reused), and Map's rule for entries deleted while iterating.
import test from 'ava';
import { FlowTable } from '../../controller/flow-table.ts';
import type { FlowKey } from '../../pipeline/facts.ts';
import { seededRandom } from '../../pipeline/traffic-generator.ts';

const key = (n: number): FlowKey => ({ inPort: n });

test('answers, size and order are those of a Map over random operations', (t) => {
  const r = seededRandom(21);
  const table = new FlowTable();
  const model = new Map<number, FlowKey>();
  // Hashes from a small pool, so sets hit existing entries and deleted slots get reused;
  // some near 2^53, some small, some sharing their low 32 bits.
  const pool = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 2 ** 53 - 1 - i : i % 3 === 1 ? i : (i + 1) * 2 ** 32 + 7));
  for (let step = 0; step < 200_000; step++) {
    const hash = pool[Math.floor(r() * (step < 100_000 ? pool.length : 200))]!;
    const op = r();
    if (op < 0.45) {
      const k = key(step);
      table.set(hash, k);
      model.set(hash, k);
    } else if (op < 0.9) {
      if (table.delete(hash) !== model.delete(hash)) return t.fail(`delete ${hash} at step ${step}`);
    } else if (op < 0.99995) {
      if (table.get(hash) !== model.get(hash) || table.has(hash) !== model.has(hash)) return t.fail(`get/has ${hash} at step ${step}`);
    } else {
      table.clear();
      model.clear();
    }
    if (table.size !== model.size) return t.fail(`size ${table.size}, Map ${model.size} at step ${step}`);
    if (step % 5000 === 0) t.deepEqual([...table], [...model], `entries at step ${step}`);
  }
  t.deepEqual([...table.keys()], [...model.keys()]);
  t.deepEqual([...table.values()], [...model.values()]);
});

test('entries deleted while iterating are skipped, as with a Map', (t) => {
  const table = new FlowTable();
  for (let i = 0; i < 100; i++) table.set(i * 1e9, key(i));
  const seen: number[] = [];
  for (const [hash, k] of table) {
    seen.push(k.inPort);
    // Each entry deletes the one after it.
    table.delete(hash + 1e9);
  }
  t.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i * 2));
  t.is(table.size, 50);
});
