// What keeps btrfs cuts cheap as they accumulate. The log's compaction (log-compaction.ts):
// the merge policy on its own, then on real btrfs: the live log ends up in few extents, its
// bytes are exactly those of a log written without compaction, no snapshot's file changes
// (content or extents), and verify passes. Retention: it syncs the filesystem now and then,
// which wakes the cleaner that drops deleted snapshots (otherwise up to 30 s later). The
// helper that issues these ioctls refuses a field that would split its request line.
import test from 'ava';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { initData, openEventLog, snapshotName, verify } from '../../storage/index.ts';
import { CAP, FANOUT, LogCompactor } from '../../storage/log-compaction.ts';
import { CLEANER_EVERY } from '../../storage/backend.ts';
import { SnapshotHelper } from '../../storage/snapshot-helper.ts';
import { defragRange, syncFilesystem } from '../../storage/btrfs.ts';
import { fileExtents } from '../../storage/extents.ts';
import { flowEvents } from './events.ts';
import { useBtrfs } from './btrfs-fixture.ts';

const btrfs = useBtrfs(test);

/** A compactor whose defrags are recorded (and fail with `fail`, when given). */
function recording(from: number, fail?: Error) {
  const calls: [number, number][] = [];
  const compactor = new LogCompactor(async (start, length, threshold) => {
    if (threshold !== CAP) throw new Error(`threshold ${threshold}`);
    calls.push([start, start + length]);
    if (fail) throw fail;
  }, from);
  return { calls, compactor };
}

const settle = () => new Promise((ok) => setImmediate(ok));

test('policy: FANOUT writebacks make a level-0 run, FANOUT runs of a level merge, nothing over CAP is rewritten', async (t) => {
  const { calls, compactor } = recording(1000);
  const step = 1000;
  let end = 1000;
  for (let i = 0; i < FANOUT - 1; i++) compactor.wrote((end += step));
  await settle();
  t.deepEqual(calls, [], 'fewer writebacks than FANOUT: nothing to merge yet');
  compactor.wrote((end += step));
  compactor.wrote(end); // no new bytes: not a writeback
  await settle();
  t.deepEqual(calls, [[1000, 1000 + FANOUT * step]]);
  for (let i = FANOUT; i < FANOUT * FANOUT; i++) {
    compactor.wrote((end += step));
    await settle();
  }
  t.is(calls.length, FANOUT + 1, 'FANOUT level-0 runs, then one merge of them');
  t.deepEqual(calls.at(-1), [1000, 1000 + FANOUT * FANOUT * step]);
  t.deepEqual(compactor.done, { defrags: FANOUT + 1, bytes: 2 * FANOUT * FANOUT * step });

  // Writebacks of large amounts: runs over CAP are left alone, and never merged across.
  const big = recording(0);
  let e = 0;
  for (let i = 0; i < FANOUT; i++) big.compactor.wrote((e += CAP / FANOUT + 1));
  await settle();
  t.deepEqual(big.calls, [], `${e} bytes in ${FANOUT} writebacks: over CAP`);
  for (let i = 0; i < FANOUT; i++) big.compactor.wrote((e += 4096));
  await settle();
  t.deepEqual(big.calls, [[e - FANOUT * 4096, e]], 'the next small run starts after the large range');

  // Level-0 runs each under CAP whose merge would be over it: the runs are rewritten, their
  // merge is not, and later runs never merge across them.
  const wide = recording(0);
  let x = 0;
  for (let i = 0; i < FANOUT * FANOUT; i++) {
    wide.compactor.wrote((x += CAP / FANOUT ** 2 + 1)); // a level-0 run is just over CAP / FANOUT
    await settle();
  }
  t.is(wide.calls.length, FANOUT, `FANOUT level-0 runs of ${x / FANOUT} bytes, not their merge`);
  for (let i = 0; i < FANOUT * FANOUT; i++) {
    wide.compactor.wrote((x += 100));
    await settle();
  }
  t.is(wide.calls.length, 2 * FANOUT + 1, 'FANOUT small level-0 runs, then one merge of them only');
  t.deepEqual(wide.calls.at(-1), [x - FANOUT * FANOUT * 100, x]);
});

test('policy: a failed defrag stops compaction and is reported; close waits for the one in flight', async (t) => {
  const { calls, compactor } = recording(0, new Error('defrag: operation not supported'));
  for (let i = 1; i <= 3 * FANOUT; i++) compactor.wrote(i * 100);
  await settle();
  t.is(calls.length, 1);
  t.regex(compactor.error?.message ?? '', /not supported/);

  let release!: () => void;
  const started: number[] = [];
  const held = new LogCompactor(async (start) => {
    started.push(start);
    await new Promise<void>((ok) => (release = ok));
  }, 0);
  for (let i = 1; i <= FANOUT; i++) held.wrote(i * 100);
  let closed = false;
  const closing = held.close().then(() => (closed = true));
  for (let i = FANOUT + 1; i <= 3 * FANOUT; i++) held.wrote(i * 100);
  await settle();
  t.false(closed, 'close waits for the defrag in flight');
  release();
  await closing;
  t.deepEqual(started, [0], 'and starts no other');
});

test('the helper refuses a field with a tab or newline (the line would get two answers, and every later request another\'s) and goes on answering in order', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  const helper = new SnapshotHelper();
  t.teardown(() => helper.close());
  const refused = { message: /tabs or newlines/ };
  for (const bad of [`${dir}\nsync\t${dir}`, `${dir}\t${dir}`]) {
    await t.throwsAsync(helper.sync(bad), refused);
    await t.throwsAsync(helper.defrag(join(bad, 'events.jsonl'), 0, 1, CAP), refused);
    await t.throwsAsync(helper.snapshot(dir, bad, 'x'), refused);
    await t.throwsAsync(helper.remove(bad, 'x'), refused);
  }
  await helper.sync(dir);
  await t.throwsAsync(helper.sync(join(dir, 'missing')), { message: /missing/ });
  await helper.defrag(join(dir, 'events.jsonl'), 0, 1, CAP);
});

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * The file's hash as read from the disk: its cached pages (clean once synced) are dropped
 * first (posix_fadvise DONTNEED through dd). A defrag rewrites the bytes through the page
 * cache, which keeps the right ones whatever went to the disk or the extent map.
 */
async function onDisk(path: string): Promise<string> {
  await execa('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
  return sha256(path);
}

/** Appends `cuts` rounds of events with a cut after each; the snapshots' hashes and extent maps right after they were taken. */
async function cutRounds(dir: string, cuts: number, compactLog: boolean) {
  const log = await openEventLog({ dir, blocks: { compactLog } });
  const taken = new Map<string, { sha: string; extents: unknown }>();
  for (let i = 0; i < cuts; i++) {
    // Appends keep streaming while a cut commits and a defrag runs.
    const during = log.append(flowEvents(40, i * 60 + 20));
    await log.append(flowEvents(20, i * 60));
    const h = (await log.cutBlock())!;
    await during;
    const file = join(dir, '.snapshots', snapshotName(h), 'events.jsonl');
    if (i % 8 === 0) taken.set(file, { sha: sha256(file), extents: await fileExtents(file) });
  }
  await log.close();
  return { compaction: log.compaction, taken };
}

test('on btrfs the live log is compacted into few extents, byte for byte the log written without it, and no snapshot changes', async (t) => {
  const dir = await btrfs.initialised(t);
  const plain = await btrfs.initialised(t);
  if (!dir || !plain) return;
  const cuts = 4 * FANOUT;
  const on = await cutRounds(dir, cuts, true);
  const off = await cutRounds(plain, cuts, false);
  t.is(off.compaction, null);
  t.is(on.compaction!.error, null);
  t.true(on.compaction!.defrags >= 3, JSON.stringify(on.compaction));

  const log = join(dir, 'events.jsonl');
  t.is(await onDisk(log), await onDisk(join(plain, 'events.jsonl')), 'same bytes on disk as without compaction');
  const extents = (await fileExtents(log))!.length;
  const uncompacted = (await fileExtents(join(plain, 'events.jsonl')))!.length;
  t.log(`${extents} extents, ${uncompacted} without compaction; ${JSON.stringify(on.compaction)}`);
  t.true(extents <= 2 * FANOUT && extents * 2 < uncompacted, `${extents} extents, ${uncompacted} without compaction`);

  t.true(on.taken.size >= 6);
  for (const [file, before] of on.taken) {
    t.is(await onDisk(file), before.sha, file);
    t.deepEqual(await fileExtents(file), before.extents, `${file}: its extents are its own, untouched`);
  }
  const report = await verify(dir);
  t.deepEqual(report.problems, []);
  t.is(report.blocks, cuts);
});

test('the fallbacks without perl: defragRange merges a file\'s small extents and keeps its bytes; syncFilesystem syncs', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  const file = join(dir, 'scratch');
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < 40; i++) {
      writeSync(fd, Buffer.alloc(20_000, 97 + (i % 26)));
      fsyncSync(fd); // one extent each
    }
  } finally {
    closeSync(fd);
  }
  const before = sha256(file);
  const extents = (await fileExtents(file))!.length;
  await defragRange(file, 0, 40 * 20_000, CAP);
  await execa('sync', ['-f', file]);
  t.is(await onDisk(file), before);
  const after = (await fileExtents(file))!.length;
  t.true(after * 4 <= extents, `${extents} → ${after} extents`);
  await t.throwsAsync(defragRange(join(dir, 'missing'), 0, 1, CAP), { message: /defragment/ });
  await syncFilesystem(dir);
  await t.throwsAsync(syncFilesystem(join(dir, 'missing')), { message: /filesystem sync/ });
});

test('a data directory with compaction verifies after a reopen, and compaction starts from where the log was', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  await initData({ dir, btrfs: true }); // finds it
  const first = await openEventLog({ dir });
  for (let i = 0; i < FANOUT; i++) {
    await first.append(flowEvents(10, i * 10));
    await first.cutBlock();
  }
  await first.close(); // waits for the defrag the last cut started
  t.is(first.compaction!.defrags, 1);
  const second = await openEventLog({ dir });
  await second.append(flowEvents(10, FANOUT * 10));
  await second.cutBlock();
  t.is(second.compaction!.defrags, 0, 'one writeback since open: nothing to merge');
  await second.close();
  t.deepEqual((await verify(dir)).problems, []);
});

// Serial: it wraps SnapshotHelper.prototype.sync, and serial tests run before the others.
test.serial('retention syncs the filesystem (waking its cleaner) once every CLEANER_EVERY snapshot deletions', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  const synced: string[] = [];
  const sync = SnapshotHelper.prototype.sync;
  SnapshotHelper.prototype.sync = function (this: SnapshotHelper, path: string) {
    synced.push(path);
    return sync.call(this, path); // the real ioctl: it must succeed
  };
  t.teardown(() => {
    SnapshotHelper.prototype.sync = sync;
  });
  const log = await openEventLog({ dir, blocks: { keepSnapshots: 2 } });
  for (let i = 0; i < 2 * CLEANER_EVERY + 3; i++) {
    await log.append(flowEvents(10, i * 10));
    await log.cutBlock();
  }
  await log.close(); // waits for retention, and so for its syncs
  t.deepEqual(synced, [dir, dir], `${2 * CLEANER_EVERY + 1} deletions: two syncs`);
  t.is(readdirSync(join(dir, '.snapshots')).length, 2);
  t.deepEqual((await verify(dir)).problems, []);
});
