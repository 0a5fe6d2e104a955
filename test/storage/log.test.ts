// The event log on the plain directory backend: appends, group commit, reads by seq and
// time, bad input, the one-writer lock, torn-line repair and the rebuildable offset index.
import test from 'ava';
import { execa } from 'execa';
import { appendFileSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initData, LockedError, openEventLog, openLogReader, verify } from '../../storage/index.ts';
import { flowEvent, flowEvents, T0 } from './events.ts';
import { tempDataPath } from './btrfs-fixture.ts';

async function fresh(t: Parameters<typeof tempDataPath>[0]) {
  const dir = tempDataPath(t);
  await initData({ dir });
  return dir;
}

test('concurrent appends get gapless seqs in call order, chained, and each lands once', async (t) => {
  const dir = await fresh(t);
  const log = await openEventLog({ dir });
  const calls = Array.from({ length: 500 }, (_, i) => log.append([flowEvent(2 * i), flowEvent(2 * i + 1)]));
  const results = await Promise.all(calls);
  results.forEach((r, i) => t.deepEqual(r, { firstSeq: 2 * i, lastSeq: 2 * i + 1 }));
  await log.close();
  const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  t.is(lines.length, 1000);
  lines.forEach((l, i) => {
    t.is(l.seq, i);
    t.deepEqual(l.source, flowEvent(i).source);
    if (i > 0) t.is(l.prev, lines[i - 1].hash);
  });
  t.true((await verify(dir)).ok);
});

test('reads by seq, from a seq, and by time range return the stored events', async (t) => {
  const dir = await fresh(t);
  const log = await openEventLog({ dir });
  for (let i = 0; i < 5000; i += 500) await log.append(flowEvents(500, i));
  const e = await log.get(3333);
  t.is(e?.seq, 3333);
  t.is(e?.['@timestamp'], flowEvent(3333)['@timestamp']);
  t.is(await log.get(5000), undefined);
  const tail: number[] = [];
  for await (const r of log.from(4990)) tail.push(r.seq);
  t.deepEqual(tail, [4990, 4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999]);
  const inRange: number[] = [];
  for await (const r of log.byTime(T0 + 2000 * 10, T0 + 2005 * 10)) inRange.push(r.seq);
  t.deepEqual(inRange, [2000, 2001, 2002, 2003, 2004, 2005]);
  await log.close();
  // A reader in the same process after the writer is gone sees the same, from the index file.
  const reader = openLogReader(dir);
  t.is((await reader.get(1025))?.seq, 1025);
  const late: number[] = [];
  for await (const r of reader.byTime(T0 + 4998 * 10, T0 + 10 ** 9)) late.push(r.seq);
  t.deepEqual(late, [4998, 4999]);
  reader.close();
});

test('an invalid event rejects the whole call with a clear error and appends nothing', async (t) => {
  const dir = await fresh(t);
  const log = await openEventLog({ dir });
  await log.append([flowEvent(0)]);
  const before = readFileSync(join(dir, 'events.jsonl'));
  await t.throwsAsync(log.append([flowEvent(1), { seq: 7 }]), { message: /must not carry "seq"/ });
  await t.throwsAsync(log.append([flowEvent(1), [1, 2] as unknown as object]), { message: /plain JSON object/ });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await t.throwsAsync(log.append([cyclic]), { message: /circular/i });
  await t.throwsAsync(log.append([]), { message: /non-empty/ });
  t.deepEqual(await log.append([flowEvent(1)]), { firstSeq: 1, lastSeq: 1 });
  await log.close();
  t.is(readFileSync(join(dir, 'events.jsonl')).length > before.length, true);
  t.true((await verify(dir)).ok);
});

test('fsync durability resolves only once the covering fsync is done', async (t) => {
  const dir = await fresh(t);
  const log = await openEventLog({ dir, durability: 'fsync' });
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append([flowEvent(i)])));
  for (const r of results) t.true(log.durableSeq >= r.lastSeq);
  await log.close();
});

test('batch durability fsyncs within a few ms, and sync() makes everything durable', async (t) => {
  const dir = await fresh(t);
  const log = await openEventLog({ dir, durability: 'batch', fsyncIntervalMs: 5 });
  const r = await log.append([flowEvent(0), flowEvent(1)]);
  t.is(log.writtenSeq, 1);
  for (let i = 0; i < 200 && log.durableSeq < r.lastSeq; i++) await new Promise((ok) => setTimeout(ok, 5));
  t.is(log.durableSeq, 1);
  await log.append([flowEvent(2)]);
  t.is(await log.sync(), 2);
  await log.close();
});

test('a second writer is refused with a clear error, in this process and in another', async (t) => {
  const dir = await fresh(t);
  const log = await openEventLog({ dir });
  const err = await t.throwsAsync(openEventLog({ dir }), { instanceOf: LockedError });
  t.regex(err!.message, new RegExp(`another writer holds .* \\(pid ${process.pid}\\)`));
  const other = await execa('bin/ghostbridge', ['block', 'cut', '--data', dir], { reject: false });
  t.not(other.exitCode, 0);
  t.regex(other.stderr, /another writer holds/);
  await log.close();
  const again = await openEventLog({ dir });
  await again.close();
});

test('a lock left by a killed writer is taken over', async (t) => {
  const dir = await fresh(t);
  const child = execa('node_modules/.bin/node', ['-e', `
    const { openEventLog } = await import(${JSON.stringify(new URL('../../storage/index.ts', import.meta.url).href)});
    await openEventLog({ dir: ${JSON.stringify(dir)} });
    console.log('locked');
    setInterval(() => {}, 1000);
  `, '--input-type=module'], { reject: false });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise<void>((ok) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && ok()));
  await t.throwsAsync(openEventLog({ dir }), { instanceOf: LockedError });
  child.kill('SIGKILL');
  await child;
  const log = await openEventLog({ dir });
  t.is(log.nextSeq, 0);
  await log.close();
});

test('a torn last line is cut off on open and seq continues without a gap', async (t) => {
  const dir = await fresh(t);
  let log = await openEventLog({ dir });
  await log.append(flowEvents(10));
  await log.close();
  const file = join(dir, 'events.jsonl');
  const whole = statSync(file).size;
  appendFileSync(file, '{"seq":10,"prev":"ab12');
  t.deepEqual((await verify(dir)).notes.length, 1);
  log = await openEventLog({ dir });
  t.regex(log.repairs.join(), /torn last line of 22 bytes/);
  t.is(statSync(file).size, whole);
  t.deepEqual(await log.append([flowEvent(10)]), { firstSeq: 10, lastSeq: 10 });
  await log.close();
  t.true((await verify(dir)).ok);
});

test('a damaged (not torn) last line stops the writer from extending it', async (t) => {
  const dir = await fresh(t);
  const log = await openEventLog({ dir });
  await log.append([flowEvent(0), flowEvent(1)]);
  await log.close();
  const file = join(dir, 'events.jsonl');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"port":1025', '"port":1026'));
  await t.throwsAsync(openEventLog({ dir }), { message: /damaged at seq 1.*ghostbridge verify/ });
  // Refusing released the lock: the next attempt is refused for the same reason, not a lock.
  await t.throwsAsync(openEventLog({ dir }), { message: /damaged at seq 1/ });
});

test('the sparse offset index is rebuilt when deleted or damaged, and reads still find events', async (t) => {
  const dir = await fresh(t);
  let log = await openEventLog({ dir });
  await log.append(flowEvents(4000));
  await log.close();
  const idx = join(dir, 'events.idx');
  t.is(statSync(idx).size, 3 * 32); // three completed strides of 1024 lines
  rmSync(idx);
  log = await openEventLog({ dir });
  t.is((await log.get(2500))?.seq, 2500);
  await log.close();
  t.is(statSync(idx).size, 3 * 32);
  writeFileSync(idx, Buffer.alloc(3 * 32, 0x41)); // garbage
  truncateSync(idx, 80);
  log = await openEventLog({ dir });
  t.is((await log.get(3999))?.seq, 3999);
  t.is(log.nextSeq, 4000);
  await log.close();
});

test('a time query finds events whose @timestamp is out of order, and readers skip a line being written', async (t) => {
  const dir = await fresh(t);
  const log = await openEventLog({ dir });
  await log.append(flowEvents(3000));
  // A late event stamped early (e.g. a flow.end reported after the fact), two strides on;
  // and one with the same instant written with an offset and a number of ms.
  await log.append([{ ...flowEvent(5), late: true }]);
  await log.append([{ ...flowEvent(3001), '@timestamp': new Date(T0 + 50).toISOString().replace('Z', '+00:00') }]);
  await log.append([{ ...flowEvent(3002), '@timestamp': T0 + 50 }]);
  await log.append(flowEvents(1100, 3003));
  await log.close();
  const early = openLogReader(dir);
  const seqs: number[] = [];
  for await (const r of early.byTime(T0 + 5 * 10, T0 + 5 * 10)) seqs.push(r.seq);
  early.close();
  t.deepEqual(seqs, [5, 3000, 3001, 3002]);

  appendFileSync(join(dir, 'events.jsonl'), '{"seq":4103,"prev":"'); // a writer mid-write(2)
  const reader = openLogReader(dir);
  const tail: number[] = [];
  for await (const r of reader.from(4101)) tail.push(r.seq);
  t.deepEqual(tail, [4101, 4102]);
  reader.close();
});

/** Events with what JSON.stringify escapes or widens: quotes, controls, non-ASCII, astral. */
function variedEvent(i: number): Record<string, unknown> {
  const e = flowEvent(i);
  if (i % 5 === 1) e.note = `line\nbreak "quoted" \\ tab\t ${'é'.repeat(i % 7)} 🙂 \u2028`;
  if (i % 5 === 2) e.labels = { nested: [1, 2.5, null, true, { deep: 'ü' }] };
  if (i % 5 === 3) return { '@timestamp': e['@timestamp'] }; // a minimal event
  return e;
}

test('appendJson writes the same bytes (log and offset index) as append of the equivalent objects', async (t) => {
  const viaObjects = await fresh(t);
  const viaJson = await fresh(t);
  const a = await openEventLog({ dir: viaObjects });
  const b = await openEventLog({ dir: viaJson });
  // Batches of varied sizes, interleaved with append on the JSON side too: both paths
  // share one chain, one index and one group commit.
  for (let i = 0, n = 1; i < 3000; i += n, n = (n * 7) % 97 + 1) {
    const events = Array.from({ length: Math.min(n, 3000 - i) }, (_, k) => variedEvent(i + k));
    const ra = await a.append(events);
    const rb = i % 3 === 0 ? await b.append(events) : await b.appendJson(events.map((e) => JSON.stringify(e)), events.map((e) => e['@timestamp'] as string));
    t.deepEqual(rb, ra);
  }
  await a.close();
  await b.close();
  t.true(readFileSync(join(viaJson, 'events.jsonl')).equals(readFileSync(join(viaObjects, 'events.jsonl'))));
  t.true(readFileSync(join(viaJson, 'events.idx')).equals(readFileSync(join(viaObjects, 'events.idx'))));
  t.true((await verify(viaJson)).ok);
  const reader = openLogReader(viaJson);
  const inRange: number[] = [];
  for await (const r of reader.byTime(T0 + 2000 * 10, T0 + 2002 * 10)) inRange.push(r.seq);
  reader.close();
  t.deepEqual(inRange, [2000, 2001, 2002]);
});

test('appendJson rejects text that is not one object on one line, and mismatched timestamps, appending nothing', async (t) => {
  const dir = await fresh(t);
  const log = await openEventLog({ dir });
  const ok = JSON.stringify(flowEvent(0));
  const ts = flowEvent(0)['@timestamp'] as string;
  for (const bad of ['[1,2]', '"text"', '', ' {"a":1}', '{"a":1} ', JSON.stringify(flowEvent(1), null, 2)]) {
    await t.throwsAsync(log.appendJson([ok, bad], [ts, ts]), { instanceOf: TypeError, message: /event 1 is not the JSON text of one object on one line/ });
  }
  await t.throwsAsync(log.appendJson([ok], []), { message: /one timestamp per event/ });
  await t.throwsAsync(log.appendJson([], []), { message: /non-empty/ });
  t.is(log.nextSeq, 0);
  t.deepEqual(await log.appendJson([ok], [ts]), { firstSeq: 0, lastSeq: 0 });
  await log.close();
  t.is(readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').length, 2);
  t.true((await verify(dir)).ok);
});
