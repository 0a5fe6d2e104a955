// The REST API over real HTTP on an ephemeral port, against a real event log on disk, a real
// embedded index fed from it, and a real controller with a switch connected over TCP.
import test from 'ava';
import { statSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApi, controllerSwitches, type Api } from '../../controller/api.ts';
import { loadOrCreateToken } from '../../controller/api-token.ts';
import { checkEventProof, IndexFeed, layout, openEmbeddedIndex, QdrantIndex } from '../../storage/index.ts';
import { freePort } from '../controller/child.ts';
import { loggedSite, type LoggedSite } from '../index/fixture.ts';
import { startController, until } from '../controller/harness.ts';
import { FakeSwitch } from '../controller/fake-switch.ts';

interface Setup {
  s: LoggedSite;
  api: Api;
  base: string;
  token: string;
  tokenFile: string;
  notes: string[];
  feed?: IndexFeed;
}

async function setup(t: any, opts: { vectors?: boolean } = {}): Promise<Setup> {
  const s = await loggedSite(t);
  await s.append(0, s.outputs.length);
  let feed: IndexFeed | undefined;
  if (opts.vectors ?? true) {
    feed = new IndexFeed({ index: openEmbeddedIndex({ dir: s.index, model: s.model, dimension: 16 }), log: s.log, vectorize: s.vectorize });
    feed.start();
    await feed.settled();
    t.teardown(() => feed!.close());
  }
  const running = await startController();
  t.teardown(() => running.stop());
  const notes: string[] = [];
  const tokenFile = join(s.dir, 'secrets', 'api-token');
  const token = loadOrCreateToken(tokenFile, s.data, (m) => notes.push(m));
  const api = await startApi({ port: 0, dataDir: s.data, log: s.log, index: feed, switches: controllerSwitches(running.controller), token });
  t.teardown(() => api.close());
  const sw = await FakeSwitch.connect(running.controller.bound[0]!.port, { datapathId: 0xabcn });
  t.teardown(() => sw.socket.destroy());
  await until(() => running.controller.datapaths.size === 1, 3000, 'the switch to be identified');
  return { s, api, base: `http://${api.address}`, token, tokenFile, notes, feed };
}

async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const r = await fetch(base + path);
  return { status: r.status, body: await r.json() };
}

test('the API binds to 127.0.0.1; status names the connected switch, the log tip and the index watermark', async (t) => {
  const { s, api, base } = await setup(t);
  t.regex(api.address, /^127\.0\.0\.1:\d+$/);
  t.deepEqual((await get(base, '/health')).body, { ok: true });
  const { status, body } = await get(base, '/status');
  t.is(status, 200);
  t.deepEqual(body.switches, [{ datapath_id: '0000000000000abc', flows: 0 }]);
  t.is(body.log.next_seq, s.outputs.length);
  t.is(body.log.written_seq, s.outputs.length - 1);
  t.like(body.index, { backend: 'embedded', model: s.model, watermark: s.outputs.length - 1, behind: 0, vectors: s.outputs.filter((o) => o.vector).length });
  t.deepEqual((await get(base, '/flows')).body, { switches: [{ datapath_id: '0000000000000abc', flows: [] }] });
});

test('events by seq range, by time range, one by seq, and recent flow events', async (t) => {
  const { s, base } = await setup(t);
  const range = await get(base, '/events?from=10&to=19');
  t.deepEqual(range.body.events.map((e: any) => e.seq), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  t.is(range.body.next, null);
  t.deepEqual(range.body.events[0]['@timestamp'], s.outputs[10]!.event['@timestamp']);
  const paged = await get(base, '/events?from=0&limit=5');
  t.deepEqual(paged.body.events.map((e: any) => e.seq), [0, 1, 2, 3, 4]);
  t.is(paged.body.next, 5);
  const one = await get(base, '/events/42');
  t.is(one.body.seq, 42);
  t.deepEqual(one.body.event, s.outputs[42]!.event.event);
  // Time range: [t(100), t(120)] holds every event whose @timestamp lies in it.
  const lo = s.outputs[100]!.event['@timestamp'];
  const hi = s.outputs[120]!.event['@timestamp'];
  const expected = s.outputs.flatMap((o, seq) => (o.event['@timestamp'] >= lo && o.event['@timestamp'] <= hi ? [seq] : []));
  const byTime = await get(base, `/events?since=${encodeURIComponent(lo)}&until=${Date.parse(hi)}&limit=10000`);
  t.deepEqual(byTime.body.events.map((e: any) => e.seq), expected);
  const recent = await get(base, '/flows/recent?limit=5');
  const flows = s.outputs.flatMap((o, seq) => (o.event.event.action.startsWith('flow.') ? [seq] : [])).reverse().slice(0, 5);
  t.deepEqual(recent.body.events.map((e: any) => e.seq), flows);
});

test('bad requests get a 4xx with a JSON message', async (t) => {
  const { s, base } = await setup(t);
  const cases: [string, number, RegExp][] = [
    ['/events?from=-1', 400, /from/],
    ['/events?from=abc', 400, /from/],
    ['/events?from=5&to=2', 400, /from is after to/],
    ['/events?from=1&since=2026-01-01', 400, /not both/],
    ['/events?since=yesterday', 400, /ISO 8601/],
    ['/events?limit=100000', 400, /limit/],
    ['/events?path=../../etc/passwd', 400, /additional/],
    [`/events/${s.outputs.length + 5}`, 404, /no event/],
    ['/events/..%2F..%2Fetc', 400, /seq/],
    ['/blocks/99', 404, /no block 99/],
    ['/blocks/proof/3', 409, /not in a block yet/],
    ['/similar', 400, /seq/],
    ['/similar?seq=0&k=1000', 400, /k/],
    ['/nowhere', 404, /no such endpoint/],
  ];
  for (const [path, status, message] of cases) {
    const r = await get(base, path);
    t.is(r.status, status, path);
    t.regex(r.body.message, message, path);
  }
  const post = await fetch(`${base}/similar`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ vector: [1, 2, 3] }) });
  t.is(post.status, 400);
  t.regex(((await post.json()) as any).message, /16 numbers/);
  const junk = await fetch(`${base}/similar`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"vector": [1,' });
  t.is(junk.status, 400);
  t.is(typeof ((await junk.json()) as any).message, 'string');
});

test('similarity: GET by seq returns other events, best first, most like it; POST with a vector gives the same', async (t) => {
  const { s, base, feed } = await setup(t);
  const seq = s.outputs.findIndex((o) => o.vector && o.event.event.action === 'flow.end');
  const r = await get(base, `/similar?seq=${seq}&k=10`);
  t.is(r.status, 200);
  t.is(r.body.hits.length, 10);
  t.false(r.body.hits.some((h: any) => h.seq === seq));
  for (let i = 1; i < 10; i++) t.true(r.body.hits[i - 1].score >= r.body.hits[i].score);
  for (const h of r.body.hits) t.is(h.event.seq, h.seq);
  const post = await fetch(`${base}/similar`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ vector: Array.from(s.outputs[seq]!.vector!), k: 11 }) });
  const byVector = (await post.json()) as any;
  t.is(byVector.hits[0].seq, seq);
  t.deepEqual(byVector.hits.slice(1).map((h: any) => h.seq).sort(), r.body.hits.map((h: any) => h.seq).sort());
  // An event without a vector (not a flow), once indexed; and one past the watermark.
  const { firstSeq: noVector } = await s.log.append([{ '@timestamp': new Date().toISOString(), event: { kind: 'event', action: 'switch.down' } }]);
  feed!.offer(noVector, [null]);
  await feed!.settled();
  const none = await get(base, `/similar?seq=${noVector}`);
  t.is(none.status, 404);
  t.regex(none.body.message, /has no vector/);
  const ahead = await get(base, `/similar?seq=${s.outputs.length + 3}`);
  t.is(ahead.status, 409);
  t.regex(ahead.body.message, /not indexed yet/);
});

test('POST /blocks needs the bearer token; with it a block is cut, listed, and proves inclusion of a seq', async (t) => {
  const { s, base, token, tokenFile, notes } = await setup(t);
  t.is(statSync(tokenFile).mode & 0o777, 0o600);
  t.regex(notes.join(), new RegExp(`created the API token file ${tokenFile}`));
  for (const auth of [undefined, 'Bearer wrong', `Basic ${token}`, `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`]) {
    const r = await fetch(`${base}/blocks`, { method: 'POST', headers: auth ? { authorization: auth } : {} });
    t.is(r.status, 401, String(auth));
    t.regex(((await r.json()) as any).message, /Bearer/);
  }
  t.deepEqual((await get(base, '/blocks')).body, { blocks: [], more: false });
  const cut = await fetch(`${base}/blocks`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  t.is(cut.status, 201);
  const { block } = (await cut.json()) as any;
  t.like(block, { index: 0, firstSeq: 0, lastSeq: s.outputs.length - 1, model: s.model });
  const again = await fetch(`${base}/blocks`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  t.is(again.status, 200);
  t.is(((await again.json()) as any).block, null);
  t.deepEqual((await get(base, '/blocks')).body.blocks, [block]);
  t.deepEqual((await get(base, '/blocks/0')).body, block);
  const proof = (await get(base, '/blocks/proof/77')).body;
  t.is(proof.seq, 77);
  const publicKey = readFileSync(join(layout(s.data).metadata, 'signing-key.pub.pem'));
  t.deepEqual(checkEventProof(proof, publicKey), { ok: true });
});

test('the token file: reused when present, refused inside <data> or when readable by others', async (t) => {
  const { s, token, tokenFile } = await setup(t, { vectors: false });
  const notes: string[] = [];
  t.is(loadOrCreateToken(tokenFile, s.data, (m) => notes.push(m)), token);
  t.regex(notes[0]!, /API token file/);
  chmodSync(tokenFile, 0o644);
  t.throws(() => loadOrCreateToken(tokenFile, s.data, () => {}), { message: /readable by others/ });
  t.throws(() => loadOrCreateToken(join(s.data, 'token'), s.data, () => {}), { message: /inside the data directory/ });
  writeFileSync(join(s.dir, 'short'), 'abc\n', { mode: 0o600 });
  t.throws(() => loadOrCreateToken(join(s.dir, 'short'), s.data, () => {}), { message: /shorter than 32/ });
});

test('without a vector index, similarity answers 503 and the rest works', async (t) => {
  const { base } = await setup(t, { vectors: false });
  const r = await get(base, '/similar?seq=1');
  t.is(r.status, 503);
  t.regex(r.body.message, /no vector index/);
  t.is((await get(base, '/status')).body.index, null);
});

test('an index that cannot answer (Qdrant down) gives 503 on similarity, and status still answers', async (t) => {
  const { s } = await setup(t, { vectors: false });
  const index = QdrantIndex.connectLater({ url: `http://127.0.0.1:${await freePort()}`, model: s.model, dimension: 16, timeoutMs: 2000 });
  const feed = new IndexFeed({ index, log: s.log, vectorize: s.vectorize });
  const api = await startApi({ port: 0, dataDir: s.data, log: s.log, index: feed, switches: () => [], token: 'x'.repeat(32) });
  t.teardown(() => api.close());
  const base = `http://${api.address}`;
  const r = await get(base, '/similar?seq=1');
  t.is(r.status, 503);
  t.regex(r.body.message, /cannot answer now/);
  const st = await get(base, '/status');
  t.is(st.status, 200);
  t.like(st.body.index, { backend: 'qdrant', watermark: -1, vectors: null });
});
