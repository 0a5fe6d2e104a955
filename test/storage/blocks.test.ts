// Blocks on real btrfs: init, cuts (API, N events, timer, CLI), read-only snapshots that
// hold whole lines only, retention, repair of an interrupted cut, proofs, and the plain
// directory backend.
import test from 'ava';
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkEventProof, initData, openEventLog, proveInclusion, snapshotName, verify } from '../../storage/index.ts';
import { isSubvolume } from '../../storage/btrfs.ts';
import { flowEvent, flowEvents } from './events.ts';
import { tempDataPath, useBtrfs } from './btrfs-fixture.ts';

const btrfs = useBtrfs(test);
const ghostbridge = (args: string[]) => execa('bin/ghostbridge', args, { reject: false });
const isReadOnly = async (path: string) => (await execa('btrfs', ['property', 'get', '-ts', path, 'ro'])).stdout.trim() === 'ro=true';

test('init --btrfs creates a subvolume and a 0600 key outside it; a second init finds it', async (t) => {
  const dir = btrfs.dataPath(t);
  if (!dir) return;
  const first = await ghostbridge(['init', '--data', dir, '--btrfs']);
  t.is(first.exitCode, 0, first.stderr);
  t.regex(first.stdout, /initialised/);
  t.true(isSubvolume(dir));
  t.is(statSync(`${dir}.signing-key.pem`).mode & 0o777, 0o600);
  t.regex(readFileSync(join(dir, 'metadata', 'signing-key.pub.pem'), 'utf8'), /BEGIN PUBLIC KEY/);
  const second = await ghostbridge(['init', '--data', dir, '--btrfs']);
  t.is(second.exitCode, 0);
  t.regex(second.stdout, /found/);
  // Without --btrfs (as `run` initialises), the existing backend is kept; --no-btrfs conflicts.
  t.is((await initData({ dir })).backend, 'btrfs');
  const conflict = await ghostbridge(['init', '--data', dir, '--no-btrfs']);
  t.is(conflict.exitCode, 1);
  t.regex(conflict.stderr, /already initialised with the btrfs backend/);
});

test('init --btrfs refuses a plain directory and a key inside <data>', async (t) => {
  const dir = btrfs.dataPath(t);
  if (!dir) return;
  mkdirSync(dir);
  const r = await ghostbridge(['init', '--data', dir, '--btrfs']);
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /exists but is not a btrfs subvolume/);
  await t.throwsAsync(initData({ dir: `${dir}-x`, keyFile: `${dir}-x/key.pem` }), { message: /must live outside/ });
});

test('a cut takes a read-only snapshot named by the block hash, holding exactly the log it covers', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  const log = await openEventLog({ dir, model: 'model-sha256-abc' });
  await log.append(flowEvents(500));
  const h = (await log.cutBlock())!;
  t.like(h, { index: 0, firstSeq: 0, lastSeq: 499, byteOffset: 0, model: 'model-sha256-abc', prevBlockHash: '0'.repeat(64) });
  const snap = join(dir, '.snapshots', `block-0-${h.hash.slice(0, 8)}`);
  t.true(isSubvolume(snap));
  t.true(await isReadOnly(snap));
  t.is(statSync(join(snap, 'events.jsonl')).size, h.byteLength);
  // The snapshot holds its own header, so a copy of it (a replica) verifies on its own.
  t.like(await verify(snap), { ok: true, events: 500, blocks: 1 });
  t.is(await log.cutBlock(), null, 'nothing new: no empty block');
  await log.append([flowEvent(500)]);
  const h1 = (await log.cutBlock({ model: null }))!;
  t.like(h1, { index: 1, firstSeq: 500, lastSeq: 500, byteOffset: h.byteLength, prevBlockHash: h.hash, model: null });
  await log.close();
  t.true((await verify(dir)).ok);
});

test('cuts taken while appends stream in never split a line, and everything verifies', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  const log = await openEventLog({ dir });
  const appends: Promise<unknown>[] = [];
  const cuts: Promise<unknown>[] = [];
  for (let i = 0; i < 3000; i += 30) {
    appends.push(log.append(flowEvents(30, i)));
    if (i % 300 === 0) cuts.push(log.cutBlock());
    if (i % 90 === 0) await new Promise((ok) => setImmediate(ok)); // let writes and cuts interleave
  }
  await Promise.all(appends);
  const made = (await Promise.all(cuts)).filter((h) => h !== null).length;
  await log.close();
  const snaps = readdirSync(join(dir, '.snapshots'));
  t.true(made >= 3, `${made} cuts`);
  t.is(snaps.length, made);
  for (const s of snaps) t.is(readFileSync(join(dir, '.snapshots', s, 'events.jsonl')).at(-1), 0x0a);
  const r = (await verify(dir));
  t.deepEqual(r.problems, []);
  t.is(r.snapshots, made);
});

test('a cut on btrfs covers what was appended before it started, is durable when it resolves, and says how long appends were held', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  const log = await openEventLog({ dir });
  t.is(log.lastCutTiming, null);
  await log.append(flowEvents(500));
  const cut = log.cutBlock();
  // Appended before the cut's turn in the queue comes: the block takes them too.
  const late = log.append(flowEvents(20, 500));
  const h = (await cut)!;
  t.true(log.durableSeq >= h.lastSeq, `durable ${log.durableSeq}, block ends at ${h.lastSeq}`);
  await late;
  await log.close();
  t.is(h.lastSeq, 519);
  const timing = log.lastCutTiming!;
  t.true(timing.heldMs > 0 && timing.heldMs <= timing.totalMs, JSON.stringify(timing));
  t.deepEqual((await verify(dir)).problems, []);
});

test('a cut that fails (no signing key) leaves the writes made while it was pending to the fsync timer', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  const log = await openEventLog({ dir, keyFile: join(dir, 'no-such-key.pem'), fsyncIntervalMs: 5 });
  await log.append(flowEvents(100));
  for (let i = 0; i < 200 && log.durableSeq < 99; i++) await new Promise((ok) => setTimeout(ok, 5)); // no fsync timer left
  t.is(log.durableSeq, 99);
  const early = log.append(flowEvents(10, 100)); // queued before the cut: written while it is pending
  const cut = log.cutBlock();
  await t.throwsAsync(cut, { message: /without the signing key/ });
  t.deepEqual(await early, { firstSeq: 100, lastSeq: 109 });
  // No cut commits them, so the batch durability timer must (bounded wait).
  for (let i = 0; i < 200 && log.durableSeq < 109; i++) await new Promise((ok) => setTimeout(ok, 5));
  t.is(log.durableSeq, 109);
  await log.close();
});

test('cuts happen every N events and on a timer; retention keeps the last K snapshots and every header', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  const log = await openEventLog({ dir, blocks: { everyEvents: 100, keepSnapshots: 3 } });
  for (let i = 0; i < 1000; i += 50) await log.append(flowEvents(50, i));
  await log.close();
  const headers = readdirSync(join(dir, 'metadata', 'blocks'));
  t.true(headers.length >= 5, `${headers.length} headers`);
  t.is(readdirSync(join(dir, '.snapshots')).length, 3);
  t.true((await verify(dir)).ok);

  const timed = await openEventLog({ dir, blocks: { everyMs: 50 } });
  await timed.append([flowEvent(1000)]);
  for (let i = 0; i < 100 && timed.lastBlock?.lastSeq !== 1000; i++) await new Promise((ok) => setTimeout(ok, 20));
  t.is(timed.lastBlock?.lastSeq, 1000);
  await timed.close();
});

test('a snapshot retention cannot delete is a warning: cuts, appends and verify go on, and onError hears nothing', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  const warnings: string[] = [];
  const errors: string[] = [];
  const log = await openEventLog({ dir, blocks: { keepSnapshots: 1 }, onWarning: (e) => warnings.push(e.message), onError: (e) => errors.push(e.message) });
  await log.append(flowEvents(20));
  await log.cutBlock();
  // Append-only: new snapshots can be made in .snapshots, none removed (EPERM).
  const snapshots = join(dir, '.snapshots');
  await execa('chattr', ['+a', snapshots]);
  t.teardown(() => execa('chattr', ['-a', snapshots], { reject: false }));
  for (let i = 1; i <= 3; i++) {
    await log.append(flowEvents(20, 20 * i));
    t.truthy(await log.cutBlock());
  }
  for (let i = 0; i < 100 && warnings.length === 0; i++) await new Promise((ok) => setTimeout(ok, 20));
  await log.close();
  t.true(warnings.length > 0);
  t.regex(warnings[0]!, /block-0-/);
  t.deepEqual(errors, []);
  t.is(readdirSync(snapshots).length, 4);
  t.true((await verify(dir)).ok);
});

test('an interrupted cut (orphan snapshot, half-written header) is repaired at the next start', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  let log = await openEventLog({ dir });
  await log.append(flowEvents(20));
  await log.cutBlock();
  await log.append(flowEvents(20, 20));
  await log.close();
  // What a crash between the snapshot and the header's rename leaves behind.
  await execa('btrfs', ['subvolume', 'snapshot', '-r', dir, join(dir, '.snapshots', 'block-1-0badc0de')]);
  writeFileSync(join(dir, 'metadata', 'blocks', '00000001.json.tmp'), '{"index":1,');
  t.regex((await verify(dir)).notes.join(), /unfinished cut/);
  log = await openEventLog({ dir });
  t.deepEqual(log.repairs.sort(), ['removed the orphan snapshot block-1-0badc0de', 'removed the unfinished header 00000001.json.tmp']);
  const h = (await log.cutBlock())!;
  t.like(h, { index: 1, firstSeq: 20, lastSeq: 39 });
  await log.close();
  t.false(existsSync(join(dir, '.snapshots', 'block-1-0badc0de')));
  t.true(existsSync(join(dir, '.snapshots', snapshotName(h))));
  t.true((await verify(dir)).ok);
});

test('a cut interrupted between its header and its snapshot is completed at the next start', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  let log = await openEventLog({ dir });
  await log.append(flowEvents(20));
  const h0 = (await log.cutBlock())!;
  await log.append(flowEvents(20, 20));
  const h1 = (await log.cutBlock())!;
  await log.close();
  // The state a kill right after the header's rename leaves: header 1, no snapshot for it.
  await execa('btrfs', ['subvolume', 'delete', join(dir, '.snapshots', snapshotName(h1))]);
  log = await openEventLog({ dir });
  t.deepEqual(log.repairs, ['completed the interrupted cut of block 1']);
  await log.close();
  t.true(await isReadOnly(join(dir, '.snapshots', snapshotName(h1))));
  t.true((await verify(dir)).ok);

  // A power loss could leave that header empty: it is removed and block 1 is cut again.
  await execa('btrfs', ['subvolume', 'delete', join(dir, '.snapshots', snapshotName(h1))]);
  writeFileSync(join(dir, 'metadata', 'blocks', '00000001.json'), '');
  log = await openEventLog({ dir });
  t.deepEqual(log.repairs, ['removed the unreadable header of the interrupted cut of block 1']);
  t.is(log.lastBlock?.hash, h0.hash);
  t.like(await log.cutBlock(), { index: 1, firstSeq: 20, lastSeq: 39 });
  await log.close();
  t.true((await verify(dir)).ok);
});

test('block cut and list from the CLI; proof prints a proof that checks, and a forged one fails', async (t) => {
  const dir = await btrfs.initialised(t);
  if (!dir) return;
  const log = await openEventLog({ dir });
  await log.append(flowEvents(77));
  await log.close();
  t.regex((await ghostbridge(['proof', '--data', dir, '5'])).stderr, /not in a block yet/);
  const cut = await ghostbridge(['block', 'cut', '--data', dir]);
  t.is(cut.exitCode, 0, cut.stderr);
  t.regex(cut.stdout, /cut block-0-[0-9a-f]{8}: seq 0\.\.76/);
  t.regex((await ghostbridge(['block', 'list', '--data', dir])).stdout, /block-0-[0-9a-f]{8} {2}seq 0\.\.76/);

  const proof = await ghostbridge(['proof', '--data', dir, '42']);
  t.is(proof.exitCode, 0, proof.stderr);
  const p = JSON.parse(proof.stdout);
  t.like(p, { seq: 42, leafIndex: 42, treeSize: 77 });
  t.is(p.path.length, 7);
  const pub = join(dir, 'metadata', 'signing-key.pub.pem');
  t.true(checkEventProof(p, readFileSync(pub)).ok);
  const file = join(dir, '..', `${dir.split('/').pop()}-proof.json`);
  t.teardown(() => execa('rm', ['-f', file]));
  writeFileSync(file, proof.stdout);
  t.regex((await ghostbridge(['proof', '--check', file, '--public-key', pub])).stdout, /^ok/);
  writeFileSync(file, JSON.stringify({ ...p, line: p.line.replace('"packets":42', '"packets":43') }));
  const forged = await ghostbridge(['proof', '--check', file, '--public-key', pub]);
  t.is(forged.exitCode, 1);
  t.regex(forged.stderr, /FAILED/);
  const otherLeaf = proveInclusion(dir, 43);
  t.false(checkEventProof({ ...otherLeaf, seq: 42, leafIndex: 42, line: p.line }, readFileSync(pub)).ok);
});

test('the directory backend keeps headers only and still verifies', async (t) => {
  const dir = tempDataPath(t);
  t.teardown(() => execa('rm', ['-f', `${dir}.signing-key.pem`]));
  await initData({ dir });
  const log = await openEventLog({ dir });
  await log.append(flowEvents(30));
  t.truthy(await log.cutBlock());
  await log.close();
  t.false(existsSync(join(dir, '.snapshots')));
  t.is(readdirSync(join(dir, 'metadata', 'blocks')).length, 1);
  t.true((await verify(dir)).ok);
});
