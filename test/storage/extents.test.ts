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
  const a = fileExtents(join(snap, 'f'));
  const b = fileExtents(live);
  t.truthy(a && b && a.length > 0);
  const ranges = unsharedRanges(a, b, 3_000_000);
  const unshared = ranges.reduce((n, [s, e]) => n + (e - s), 0);
  t.true(unshared < 64 * 1024, `${unshared} bytes unshared: ${JSON.stringify(ranges)}`);

  // Rewriting 10 bytes in the middle of the live file unshares that block.
  const fd = openSync(live, 'r+');
  writeSync(fd, Buffer.from('0123456789'), 0, 10, 1_500_000);
  closeSync(fd);
  await execa('sync');
  const after = unsharedRanges(a, fileExtents(live), 3_000_000);
  t.true(after.some(([s, e]) => s <= 1_500_000 && 1_500_010 <= e), JSON.stringify(after));
});

test('without extent maps everything counts as unshared', (t) => {
  t.deepEqual(unsharedRanges(null, [], 100), [[0, 100]]);
  t.deepEqual(unsharedRanges([], [], 0), []);
  t.deepEqual(unsharedRanges([{ logical: 0, physical: 4096, length: 100, plain: true }], [{ logical: 0, physical: 4096, length: 50, plain: true }], 100), [[50, 100]]);
});
