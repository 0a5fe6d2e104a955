// Extent maps of a snapshot's log and the live log on real btrfs: shared ranges are found,
// and rewritten or appended ranges are not taken as shared.
import test from 'ava';
import { execa } from 'execa';
import { appendFileSync, mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { fileExtents, unsharedRanges } from '../../storage/extents.ts';
import { useBtrfs } from './btrfs-fixture.ts';

const btrfs = useBtrfs(test);

test('a snapshot shares all but the rewritten bytes with the live file', async (t) => {
  const dir = btrfs.dataPath(t);
  if (!dir) return;
  await execa('btrfs', ['subvolume', 'create', dir]);
  const live = join(dir, 'f');
  appendFileSync(live, randomFillSync(Buffer.alloc(3_000_000)));
  mkdirSync(join(dir, '.snapshots'));
  const snap = join(dir, '.snapshots', 's');
  await execa('btrfs', ['subvolume', 'snapshot', '-r', dir, snap]);
  appendFileSync(live, randomFillSync(Buffer.alloc(5000))); // rewrites the last partial block
  await execa('sync');
  const a = await fileExtents(join(snap, 'f'));
  const b = await fileExtents(live);
  t.truthy(a && b && a.length > 0);
  const ranges = unsharedRanges(a, b, 3_000_000);
  const unshared = ranges.reduce((n, [s, e]) => n + (e - s), 0);
  t.true(unshared < 64 * 1024, `${unshared} bytes unshared: ${JSON.stringify(ranges)}`);

  // Rewriting 10 bytes in the middle of the live file unshares that block.
  const fd = openSync(live, 'r+');
  writeSync(fd, Buffer.from('0123456789'), 0, 10, 1_500_000);
  closeSync(fd);
  await execa('sync');
  const after = unsharedRanges(a, await fileExtents(live), 3_000_000);
  t.true(after.some(([s, e]) => s <= 1_500_000 && 1_500_010 <= e), JSON.stringify(after));
});

test('without extent maps everything counts as unshared', (t) => {
  t.deepEqual(unsharedRanges(null, [], 100), [[0, 100]]);
  t.deepEqual(unsharedRanges([], [], 0), []);
  t.deepEqual(unsharedRanges([{ logical: 0, physical: 4096, length: 100, plain: true }], [{ logical: 0, physical: 4096, length: 50, plain: true }], 100), [[50, 100]]);
});

test('unsharedRanges marks exactly the bytes not mapped to the same plain physical place, on random maps', (t) => {
  let state = 99;
  const rand = (n: number) => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8) % n;
  /** A map of extents with holes, random lengths, some not plain, physical = logical + shift or elsewhere. */
  const randomMap = (length: number, shift: number) => {
    const map = [];
    for (let p = rand(3) * 50; p < length; ) {
      const n = 1 + rand(300);
      map.push({ logical: p, physical: rand(4) === 0 ? 10 ** 6 + p : p + shift, length: n, plain: rand(6) !== 0 });
      p += n + (rand(4) === 0 ? rand(100) : 0);
    }
    return map;
  };
  for (let round = 0; round < 200; round++) {
    const length = 1 + rand(3000);
    const a = randomMap(length + rand(200), 4096);
    const b = randomMap(length + rand(200), 4096);
    const at = (m: typeof a, p: number) => m.find((e) => e.logical <= p && p < e.logical + e.length);
    const want: [number, number][] = [];
    for (let p = 0; p < length; p++) {
      const x = at(a, p);
      const y = at(b, p);
      if (x && y && x.plain && y.plain && x.physical - x.logical === y.physical - y.logical) continue;
      const last = want.at(-1);
      if (last && last[1] === p) last[1] = p + 1;
      else want.push([p, p + 1]);
    }
    t.deepEqual(unsharedRanges(a, b, length), want);
  }
});
