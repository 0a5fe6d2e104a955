// Tamper evidence on real btrfs: each kind of edit an attacker (or a bad disk) could make,
// and verify (the function and the CLI) names the first bad point.
import test from 'ava';
import { execa } from 'execa';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeLine } from '../../storage/line.ts';
import { openEventLog, verify, snapshotName, listHeaderFiles, readHeader, layout, type VerifyOptions, type VerifyReport } from '../../storage/index.ts';
import { flowEvents } from './events.ts';
import { useBtrfs } from './btrfs-fixture.ts';
import type { ExecutionContext } from 'ava';

const btrfs = useBtrfs(test);

/** 650 events in six blocks of 100 (each a snapshot) and an open tail of 50. */
async function build(t: ExecutionContext): Promise<string | null> {
  const dir = await btrfs.initialised(t);
  if (!dir) return null;
  const log = await openEventLog({ dir, blocks: { everyEvents: 100 } });
  for (let i = 0; i < 650; i += 10) await log.append(flowEvents(10, i));
  await log.close();
  const r = (await verifyBoth(t, dir));
  t.true(r.ok, JSON.stringify(r.problems));
  t.is(r.blocks, 6);
  t.is(r.snapshots, 6);
  return dir;
}

/** The index of the block that holds `seq`. */
function blockOf(dir: string, seq: number): number {
  return listHeaderFiles(layout(dir).blocks).map((f) => readHeader(f.path)).find((h) => h.firstSeq <= seq && seq <= h.lastSeq)!.index;
}

/**
 * verify in this thread, and on two threads with one block per task: the same problems and
 * notes (how far the walk got before a problem, events and bytes, depends on the ranges).
 */
async function verifyBoth(t: ExecutionContext, dir: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const inline = await verify(dir, { ...opts, threads: 1 });
  const parallel = await verify(dir, { ...opts, threads: 2, rangeBytes: 1 });
  t.deepEqual(parallel.problems, inline.problems);
  t.deepEqual(parallel.notes, inline.notes);
  return inline;
}

const logPath = (dir: string) => join(dir, 'events.jsonl');
const lines = (dir: string) => readFileSync(logPath(dir), 'utf8').split(/(?<=\n)/);

async function cliSays(t: ExecutionContext, dir: string, pattern: RegExp): Promise<void> {
  const r = await execa('bin/ghostbridge', ['verify', '--data', dir], { reject: false });
  t.is(r.exitCode, 1);
  t.regex(r.stderr, pattern);
}

test('a changed byte names its seq', async (t) => {
  const dir = await build(t);
  if (!dir) return;
  const l = lines(dir);
  l[250] = l[250].replace('"packets":250', '"packets":251');
  writeFileSync(logPath(dir), l.join(''));
  const r = (await verifyBoth(t, dir));
  t.like(r.problems[0], { seq: 250 });
  t.regex(r.problems[0].message, /hash does not match its content/);
  await cliSays(t, dir, /FAILED: seq 250 .*hash does not match/);
});

test('a byte changed in the open tail (no block yet) names its seq too', async (t) => {
  const dir = await build(t);
  if (!dir) return;
  const l = lines(dir);
  l[640] = l[640].replace('"flow.update"', '"flow.updatE"');
  writeFileSync(logPath(dir), l.join(''));
  t.like((await verifyBoth(t, dir)).problems[0], { seq: 640 });
});

test('a torn last line is a note, not a problem; behind a bad line it is not reported, with any number of threads', async (t) => {
  const dir = await build(t);
  if (!dir) return;
  const l = lines(dir);
  writeFileSync(logPath(dir), l.join('') + l[649].slice(0, 40)); // a write cut off mid-line
  const torn = await verifyBoth(t, dir);
  t.true(torn.ok, JSON.stringify(torn.problems));
  t.is(torn.events, 650);
  t.deepEqual(torn.notes, ['the last line is torn (incomplete); the writer cuts it off when it next starts']);
  // With a bad line in the first block, the walk stops there: the torn tail, which a second
  // thread may or may not have reached, is not reported in either mode.
  l[50] = l[50].replace('"packets":50', '"packets":51');
  writeFileSync(logPath(dir), l.join('') + l[649].slice(0, 40));
  const bad = await verifyBoth(t, dir);
  t.like(bad.problems[0], { seq: 50 });
  t.deepEqual(bad.notes, []);
});

test('a deleted line names the missing seq', async (t) => {
  const dir = await build(t);
  if (!dir) return;
  const l = lines(dir);
  l.splice(300, 1);
  writeFileSync(logPath(dir), l.join(''));
  t.like((await verifyBoth(t, dir)).problems[0], { seq: 300 });
  t.regex((await verifyBoth(t, dir)).problems[0].message, /found seq 301 where seq 300 belongs \(seq 300 is missing or moved\)/);
  await cliSays(t, dir, /FAILED: seq 300 .*missing/);
});

test('two swapped lines name the first of them', async (t) => {
  const dir = await build(t);
  if (!dir) return;
  const l = lines(dir);
  [l[410], l[411]] = [l[411], l[410]];
  writeFileSync(logPath(dir), l.join(''));
  t.regex((await verifyBoth(t, dir)).problems[0].message, /^seq 410 .*found seq 411 where seq 410 belongs/);
  await cliSays(t, dir, /FAILED: seq 410/);
});

test('a truncation inside a block names the first missing seq and the block', async (t) => {
  const dir = await build(t);
  if (!dir) return;
  const l = lines(dir);
  truncateSync(logPath(dir), Buffer.byteLength(l.slice(0, 350).join('')));
  const p = (await verifyBoth(t, dir)).problems[0];
  const b = blockOf(dir, 350);
  t.like(p, { seq: 350, block: b });
  await cliSays(t, dir, new RegExp(`FAILED: seq 350 is missing: the log ends there but block ${b}`));
});

test('an edited header names its block', async (t) => {
  const dir = await build(t);
  if (!dir) return;
  const f = listHeaderFiles(layout(dir).blocks)[2].path;
  writeFileSync(f, readFileSync(f, 'utf8').replace('"model": null', '"model": "other"'));
  t.like((await verifyBoth(t, dir)).problems[0], { block: 2, message: 'block 2: its hash does not match its contents' });
  await cliSays(t, dir, /FAILED: block 2: its hash does not match/);
});

test('a rewritten chain (every hash recomputed from seq 250 on) is caught by the signed block', async (t) => {
  const dir = await build(t);
  if (!dir) return;
  const l = lines(dir);
  let prev = JSON.parse(l[249]).hash as string;
  for (let i = 250; i < l.length; i++) {
    const { seq, prev: _p, hash: _h, ...event } = JSON.parse(l[i]);
    if (i === 250) event.network.bytes = 1;
    const enc = encodeLine(seq, prev, JSON.stringify(event));
    l[i] = enc.line;
    prev = enc.hash;
  }
  writeFileSync(logPath(dir), l.join(''));
  const b = blockOf(dir, 250);
  const p = (await verifyBoth(t, dir)).problems[0];
  t.like(p, { block: b });
  t.regex(p.message, new RegExp(`^block ${b}: `));
});

test('a file replaced inside a read-only snapshot names the snapshot and the seq', async (t) => {
  const dir = await build(t);
  if (!dir) return;
  const h = readHeader(listHeaderFiles(layout(dir).blocks)[blockOf(dir, 120)].path);
  const snap = join(dir, '.snapshots', snapshotName(h));
  // Snapshots are read-only; an attacker with root flips that first, as this test does.
  await execa('btrfs', ['property', 'set', '-ts', snap, 'ro', 'false']);
  const file = join(snap, 'events.jsonl');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"packets":120', '"packets":121'));
  await execa('btrfs', ['property', 'set', '-ts', snap, 'ro', 'true']);
  const r = (await verifyBoth(t, dir));
  t.is(r.problems.length, 1);
  t.like(r.problems[0], { block: h.index, snapshot: snapshotName(h) });
  t.regex(r.problems[0].message, /events\.jsonl differs from the log at byte \d+ \(seq 120\)/);
  await cliSays(t, dir, new RegExp(`FAILED: snapshot ${snapshotName(h)}: .*seq 120`));
});

test('a header replaced inside a snapshot names the snapshot', async (t) => {
  const dir = await build(t);
  if (!dir) return;
  const h = readHeader(listHeaderFiles(layout(dir).blocks)[4].path);
  const snap = join(dir, '.snapshots', snapshotName(h));
  await execa('btrfs', ['property', 'set', '-ts', snap, 'ro', 'false']);
  const inner = join(snap, 'metadata', 'blocks', '00000001.json');
  writeFileSync(inner, readFileSync(inner, 'utf8').replace('"model": null', '"model": "forged"'));
  await execa('btrfs', ['property', 'set', '-ts', snap, 'ro', 'true']);
  const r = (await verifyBoth(t, dir));
  t.like(r.problems[0], { block: 4, message: `snapshot ${snapshotName(h)}: metadata/blocks/00000001.json differs from the one in the data directory` });
});

test('a block re-signed with another key fails against the pinned public key', async (t) => {
  const dir = await build(t);
  if (!dir) return;
  const pinned = readFileSync(join(dir, 'metadata', 'signing-key.pub.pem'));
  const r = (await verifyBoth(t, dir, { publicKey: pinned }));
  t.true(r.ok);
  // An attacker who swaps in their own key and re-signs everything passes a verify that
  // trusts <data>'s own copy of the key, but not one that pins the operator's key.
  const { generateKeyPairSync } = await import('node:crypto');
  const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' });
  t.like((await verifyBoth(t, dir, { publicKey: other })).problems[0], { block: 0, message: 'block 0: its signature does not verify' });
});
