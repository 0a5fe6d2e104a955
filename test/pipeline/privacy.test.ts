import test from 'ava';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scratchDir } from './scratch.ts';
import { createPipeline, Pseudonymizer } from '../../pipeline/index.ts';
import { generateTraffic } from '../../pipeline/traffic-generator.ts';
import { assertValidEvents } from './schema.ts';

test('no payload byte reaches the log: a marker in every frame is absent from events and messages', async (t) => {
  const dir = await scratchDir(t);
  const marker = 'GHOSTBRIDGE-PAYLOAD-MARKER-7f3a';
  const facts = generateTraffic({ seed: 11, flows: 300, payload: new TextEncoder().encode(marker.repeat(3)) });
  // The marker really is in the frames the pipeline gets.
  t.true(facts.some((f) => f.kind === 'flow.start' && Buffer.from(f.frame).includes(marker)));
  for (const privacy of ['pseudonymize', 'raw'] as const) {
    const messages: string[] = [];
    const pipeline = await createPipeline({ privacy, keyFile: join(dir, 'site.key'), modelDir: join(dir, 'model'), log: (m) => messages.push(m) });
    const out = await pipeline.process(facts);
    await pipeline.close();
    const log = join(dir, `events-${privacy}.jsonl`);
    await writeFile(log, out.map((o) => JSON.stringify(o.event)).join('\n') + '\n');
    const written = await readFile(log);
    t.true(written.length > 10_000);
    t.false(written.includes(marker), `${privacy}: marker found in the log`);
    t.false(written.includes(Buffer.from(marker).toString('base64').slice(0, 16)), `${privacy}: marker found base64-encoded`);
    t.false(messages.join('\n').includes(marker));
    assertValidEvents(t, out.map((o) => o.event));
  }
});

test('a missing key file is created with mode 0600 and said so; the same key is used next time', async (t) => {
  const dir = await scratchDir(t);
  const keyFile = join(dir, 'keys', 'site.key');
  const messages: string[] = [];
  const first = await createPipeline({ keyFile, vectorize: false, log: (m) => messages.push(m) });
  t.is((await stat(keyFile)).mode & 0o777, 0o600);
  t.regex(messages.join('\n'), /created a new pseudonymization key in .*site\.key/);
  const second = await createPipeline({ keyFile, vectorize: false, log: (m) => messages.push(m) });
  t.is(second.keyId, first.keyId);
  const facts = generateTraffic({ seed: 3, flows: 5 });
  const [a, b] = [await first.process(facts), await second.process(facts)];
  t.deepEqual(a.map((o) => o.event.source), b.map((o) => o.event.source));
});

test('key files: raw 32 bytes and hex are the same key; anything else is a clear error', async (t) => {
  const dir = await scratchDir(t);
  const key = Buffer.from('1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202', 'hex');
  await writeFile(join(dir, 'raw.key'), key, { mode: 0o600 });
  await writeFile(join(dir, 'hex.key'), key.toString('hex') + '\n', { mode: 0o600 });
  await writeFile(join(dir, 'bad.key'), 'not a key\n', { mode: 0o600 });
  const raw = await createPipeline({ keyFile: join(dir, 'raw.key'), vectorize: false });
  const hex = await createPipeline({ keyFile: join(dir, 'hex.key'), vectorize: false });
  t.is(raw.keyId, hex.keyId);
  await t.throwsAsync(createPipeline({ keyFile: join(dir, 'bad.key'), vectorize: false }), { message: /bad\.key: a key file holds 32 raw bytes or 64 hex digits/ });
  await t.throwsAsync(createPipeline({ vectorize: false }), { message: /needs a key file/ });
});

test('key rotation takes effect from the next event, and the events record which key', async (t) => {
  const pipeline = await createPipeline({ key: new Uint8Array(32).fill(1), vectorize: false, log: () => {} });
  const facts = generateTraffic({ seed: 5, flows: 4 }).filter((f) => f.kind === 'flow.start');
  const before = await pipeline.process(facts);
  const oldId = pipeline.keyId;
  const newId = await pipeline.rotateKey(new Uint8Array(32).fill(2));
  t.not(newId, oldId);
  const after = await pipeline.process(facts);
  assertValidEvents(t, [...before, ...after].map((o) => o.event));
  t.true(before.every((o) => o.event.ghostbridge.privacy.key_id === oldId));
  t.true(after.every((o) => o.event.ghostbridge.privacy.key_id === newId));
  t.notDeepEqual(after.map((o) => o.event.source!.ip), before.map((o) => o.event.source!.ip));
  // A flow live across the rotation: its end shows the new key's pseudonyms and Community ID,
  // not what its start computed under the old key.
  const flow = generateTraffic({ seed: 6, flows: 1 });
  const start = flow.find((f) => f.kind === 'flow.start')!;
  const end = flow.find((f) => f.kind === 'flow.end')!;
  const live = await createPipeline({ key: new Uint8Array(32).fill(1), vectorize: false, log: () => {} });
  const [oldStart] = await live.process([start]);
  await live.rotateKey(new Uint8Array(32).fill(2));
  const [lateEnd] = await live.process([end]);
  const fresh = await createPipeline({ key: new Uint8Array(32).fill(2), vectorize: false, log: () => {} });
  const [newStart] = await fresh.process([start]);
  t.not(lateEnd!.event.source!.ip, oldStart!.event.source!.ip);
  t.deepEqual([lateEnd!.event.source, lateEnd!.event.destination].map((e) => [e!.ip, e!.mac]), [newStart!.event.source, newStart!.event.destination].map((e) => [e!.ip, e!.mac]));
  t.truthy(newStart!.event.network!.community_id);
  t.is(lateEnd!.event.network!.community_id, newStart!.event.network!.community_id);
  await Promise.all([live.close(), fresh.close()]);
  const raw = await createPipeline({ privacy: 'raw', vectorize: false });
  await t.throwsAsync(raw.rotateKey(new Uint8Array(32)), { message: /needs pseudonymize mode/ });
});

test('MAC pseudonyms: keyed, stable, locally administered, group bit and broadcast kept', (t) => {
  const a = new Pseudonymizer(new Uint8Array(32).fill(1));
  const b = new Pseudonymizer(new Uint8Array(32).fill(2));
  const unicast = a.mac('00:1b:21:3a:4f:10')!;
  t.is(a.mac('00:1b:21:3a:4f:10'), unicast);
  t.not(b.mac('00:1b:21:3a:4f:10'), unicast);
  t.is(parseInt(unicast.slice(0, 2), 16) & 0x03, 0x02);
  t.is(parseInt(a.mac('01:00:5e:00:00:fb')!.slice(0, 2), 16) & 0x03, 0x03);
  t.is(a.mac('ff:ff:ff:ff:ff:ff'), 'ff:ff:ff:ff:ff:ff');
  t.is(a.mac('not-a-mac'), null);
  t.is(a.ip('999.1.1.1'), null);
});

test('the pseudonym cache stays within its bound and still answers the same', (t) => {
  const p = new Pseudonymizer(new Uint8Array(32).fill(9), 100);
  const first = p.ip('10.0.0.1');
  for (let i = 0; i < 1000; i++) p.ip(`10.0.${i >> 8}.${i & 255}`);
  t.is(p.ip('10.0.0.1'), first);
  t.true(p.cacheSize <= 100);
});
