// The pipeline in a worker thread (what `ghostbridge run` uses) gives the in-thread
// pipeline's events and vectors, in order, across many concurrent calls; errors come back
// to the caller that made the call.
import test from 'ava';
import { createPipeline, createThreadedPipeline, type FlowFact } from '../../pipeline/index.ts';
import { generateTraffic } from '../../pipeline/traffic-generator.ts';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 3);
const bits = (v: Float32Array | null) => (v === null ? null : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex'));

/** Facts in batches as the controller hands them over, each frame a view into a larger buffer (as a socket read is). */
function batches(facts: FlowFact[], size: number): FlowFact[][] {
  const out: FlowFact[][] = [];
  for (let i = 0; i < facts.length; i += size) {
    out.push(facts.slice(i, i + size).map((f) => {
      if (f.kind !== 'flow.start') return f;
      const read = new Uint8Array(f.frame.length + 200).fill(0xee);
      read.set(f.frame, 100);
      return { ...f, frame: read.subarray(100, 100 + f.frame.length) };
    }));
  }
  return out;
}

test('concurrent encode calls come back in call order, equal to the in-thread pipeline', async (t) => {
  const facts = generateTraffic({ seed: 61, flows: 800 });
  const local = await createPipeline({ key: KEY, log: () => {} });
  const threaded = await createThreadedPipeline({ key: KEY, log: () => {} });
  t.teardown(() => threaded.close());
  t.is(threaded.modelId, local.modelId);
  t.is(threaded.keyId, local.keyId);
  const parts = batches(facts, 7);
  // Switch and port facts cross as objects among the flow facts' records, and their events'
  // timestamps, too, are read back from the text.
  const port = { portNo: 1, name: 'p"1\\', hwAddr: '02:00:00:00:00:01', linkUp: true, adminUp: false };
  parts[0]!.unshift({ kind: 'switch.up', time: facts[0]!.time - 1000, datapathId: 1n, address: '10.0.0.1:6653', ports: [port] });
  parts[5]!.splice(3, 0, { kind: 'port.status', time: facts[0]!.time + 1.5, datapathId: 1n, reason: 'modify', port: { ...port, linkUp: false } });
  parts.push([{ kind: 'switch.down', time: 1e13, datapathId: 2n ** 64n - 1n, reason: 'closed' }]);
  const got = await Promise.all(parts.map((b) => threaded.encode(b))); // all in flight at once
  const want = [];
  for (const b of parts) want.push(await local.encode(b));
  t.deepEqual(got.flatMap((g) => g.jsons), want.flatMap((w) => w.jsons));
  t.deepEqual(got.flatMap((g) => g.timestamps), want.flatMap((w) => w.timestamps));
  t.deepEqual(got.flatMap((g) => g.vectors.map(bits)), want.flatMap((w) => w.vectors.map(bits)));
  t.true(got.flatMap((g) => g.vectors).some((v) => v !== null));
});

// The event text comes back through a shared ring; a batch that finds no room in it comes in
// the message instead. In a 1 KiB ring no batch fits (an event's text is > 340 bytes, and
// room for 3 bytes a character is asked); in a 16 KiB ring, calls one after another fit and
// go round it many times.
test('the text ring: round and round, or too small so the text comes in the message; the same events either way', async (t) => {
  const facts = generateTraffic({ seed: 64, flows: 300 });
  const parts = [...batches(facts, 1), ...batches(facts.slice(0, 100), 3)];
  const local = await createPipeline({ key: KEY, log: () => {} });
  const want = [];
  for (const b of parts) want.push(await local.encode(b));
  for (const textRingBytes of [1024, 16384]) {
    const threaded = await createThreadedPipeline({ key: KEY, log: () => {}, textRingBytes });
    t.teardown(() => threaded.close());
    const got = [];
    for (const b of parts) got.push(await threaded.encode(b));
    t.deepEqual(got.flatMap((g) => g.jsons), want.flatMap((w) => w.jsons));
    t.deepEqual(got.flatMap((g) => g.timestamps), want.flatMap((w) => w.timestamps));
    t.deepEqual(got.flatMap((g) => g.vectors.map(bits)), want.flatMap((w) => w.vectors.map(bits)));
  }
});

test('process, key rotation and errors go through the thread', async (t) => {
  const facts = generateTraffic({ seed: 62, flows: 40 });
  const threaded = await createThreadedPipeline({ key: KEY, log: () => {} });
  t.teardown(() => threaded.close());
  const local = await createPipeline({ key: KEY, log: () => {} });
  t.deepEqual((await threaded.process(facts)).map((o) => o.event), (await local.process(facts)).map((o) => o.event));
  await t.throwsAsync(threaded.rotateKey(), { message: /rotateKey needs a key/ });
  const newKey = new Uint8Array(32).fill(5);
  const id = await threaded.rotateKey(newKey);
  t.is(id, await local.rotateKey(newKey));
  t.is(threaded.keyId, id);
  const after = await threaded.encode(facts.slice(0, 5));
  t.true(after.jsons.every((j) => j.includes(`"key_id":"${id}"`)));
});

test('a call that cannot be sent to the thread fails alone; the calls after it get their own answers', async (t) => {
  const facts = generateTraffic({ seed: 63, flows: 20 });
  const threaded = await createThreadedPipeline({ key: KEY, log: () => {} });
  t.teardown(() => threaded.close());
  const local = await createPipeline({ key: KEY, log: () => {} });
  const odd = { ...facts[1]!, key: { ...(facts[1] as { key: object }).key, note: () => {} } } as unknown as FlowFact;
  await t.throwsAsync(threaded.encode([odd]), { message: /could not be cloned/ });
  const got = await threaded.encode(facts);
  t.deepEqual(got.jsons, (await local.encode(facts)).jsons);
});

test('a pipeline that cannot start in the thread rejects with its reason', async (t) => {
  await t.throwsAsync(createThreadedPipeline({ privacy: 'pseudonymize', log: () => {} }), { message: /needs a key file/ });
});
