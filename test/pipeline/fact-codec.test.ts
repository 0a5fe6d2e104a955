// The byte records facts cross to the pipeline thread in: every fact comes back as it was
// given (the same members and values, frames byte for byte, in order), facts that do not fit
// a record travel as objects in their place, and the string table survives being cleared.
import test from 'ava';
import { FactReader, FactWriter } from '../../pipeline/fact-codec.ts';
import type { FlowFact } from '../../pipeline/index.ts';
import { generateTraffic } from '../../pipeline/traffic-generator.ts';

const t0 = Date.UTC(2026, 10, 25, 15);
const key = { inPort: 3, ethSrc: '02:00:00:00:00:01', ethDst: '02:00:00:00:00:02', ethType: 0x0800, ipSrc: '10.0.0.1', ipDst: '10.0.0.2', ipProto: 6, srcPort: 40000, dstPort: 443 };

/** A fact with its frame as a plain array, so deepEqual compares bytes and not views. */
const comparable = (f: FlowFact) => (f.kind === 'flow.start' ? { ...f, frame: [...f.frame] } : f);

function roundTrip(t: import('ava').ExecutionContext, writer: FactWriter, reader: FactReader, facts: FlowFact[]): FlowFact[] {
  const back = reader.read(writer.write(facts));
  t.deepEqual(back.map(comparable), facts.map(comparable));
  return back;
}

test('generated traffic comes back as it was written, frames byte for byte', (t) => {
  const facts = [...generateTraffic({ seed: 71, flows: 800 }), ...generateTraffic({ seed: 72, flows: 200, scan: true, datapathId: 2n ** 64n - 1n })];
  const writer = new FactWriter();
  const reader = new FactReader();
  for (let i = 0; i < facts.length; i += 50) {
    const batch = facts.slice(i, i + 50);
    const sent = writer.write(batch);
    t.is(sent.objects.length, 0); // every flow fact of the generator fits a record
    t.deepEqual(reader.read(sent).map(comparable), batch.map(comparable));
  }
});

test('odd values fit records exactly: null counters, extreme numbers, ids at both ends, text that is not ASCII', (t) => {
  const frame = Uint8Array.of(1, 2, 3);
  const facts: FlowFact[] = [
    { kind: 'flow.start', time: -0, datapathId: 0n, flowId: 2n ** 64n - 1n, key: { inPort: 0 }, frame, frameLength: 1e9 },
    { kind: 'flow.start', time: 1.5, datapathId: 1n, flowId: 5n, key: { ...key, vlanId: 4095, icmpType: 255, icmpCode: 0, ipSrc: 'fd00::1', ethSrc: 'ä€😀' }, frame: new Uint8Array(0), frameLength: 0 },
    { kind: 'flow.update', time: NaN, datapathId: 7n, flowId: 5n, key, counters: { packets: null, bytes: 2n ** 64n - 1n }, durationSeconds: Infinity },
    { kind: 'flow.end', time: t0, datapathId: 7n, flowId: 5n, key, counters: { packets: 0n, bytes: null }, durationSeconds: 1e-9, reason: 'meter-delete', idleTimeout: 65535, hardTimeout: -1 },
    { kind: 'flow.end', time: t0, datapathId: 7n, flowId: 6n, key: { inPort: 1.25, srcPort: NaN }, counters: { packets: null, bytes: null }, durationSeconds: 0, reason: 'idle-timeout', idleTimeout: 0, hardTimeout: 0 },
  ];
  const writer = new FactWriter();
  const back = roundTrip(t, writer, new FactReader(), facts);
  t.true(Object.is(back[0]!.time, -0));
  t.is(writer.write(facts).objects.length, 0);
});

test('facts that do not fit a record travel as objects, in their place', (t) => {
  const start: FlowFact = { kind: 'flow.start', time: t0, datapathId: 1n, flowId: 1n, key, frame: Uint8Array.of(9), frameLength: 60 };
  const odd = [
    { kind: 'switch.up', time: t0, datapathId: 1n, address: '10.0.0.1:6653', ports: [] },
    { ...start, flowId: -1n }, // out of a record's range
    { ...start, flowId: 2n ** 64n },
    { ...start, key: { ...key, note: 'extra' } }, // a member the record has no place for
    { ...start, extra: true },
    { ...start, time: '2026' }, // a value of another type
    { ...start, key: { ...key, srcPort: '80' } },
    { kind: 'flow.end', time: t0, datapathId: 1n, flowId: 1n, key, counters: { packets: 1, bytes: 2n }, durationSeconds: 1, reason: 'idle-timeout', idleTimeout: 1, hardTimeout: 0 },
    { kind: 'flow.end', time: t0, datapathId: 1n, flowId: 1n, key, counters: { packets: 1n, bytes: 2n }, durationSeconds: 1, reason: 'other', idleTimeout: 1, hardTimeout: 0 },
  ] as unknown as FlowFact[];
  const facts = odd.flatMap((f) => [start, f]);
  const writer = new FactWriter();
  const sent = writer.write(facts);
  t.is(sent.objects.length, odd.length);
  t.deepEqual(new FactReader().read(sent).map(comparable), facts.map(comparable));
});

test('the string table: each string sent once, cleared past its limit, and afresh after a lost batch', (t) => {
  const writer = new FactWriter();
  const reader = new FactReader();
  const fact = (i: number): FlowFact => ({ kind: 'flow.start', time: t0, datapathId: 1n, flowId: BigInt(i), key: { ...key, ipSrc: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` }, frame: new Uint8Array(0), frameLength: 0 });
  const first = writer.write([fact(1), fact(1), fact(3)]);
  t.deepEqual(first.strings, ['02:00:00:00:00:01', '02:00:00:00:00:02', '10.0.0.1', '10.0.0.2', '10.0.0.3']); // in the key's order, each once
  reader.read(first);
  t.is(writer.write([fact(1)]).strings.length, 0);
  // Past 65,536 strings the table starts again; the reader follows.
  let resets = 0;
  for (let i = 0; i < 70_000; i += 1000) {
    const batch = Array.from({ length: 1000 }, (_, j) => fact(i + j));
    const sent = writer.write(batch);
    if (sent.reset) resets++;
    t.deepEqual(reader.read(sent).map((f) => (f as { key: object }).key), batch.map((f) => (f as { key: object }).key));
  }
  t.is(resets, 1);
  // A batch that never arrived: the next one starts the table afresh.
  writer.write([fact(99_999)]);
  writer.lost();
  const next = writer.write([fact(99_999)]);
  t.true(next.reset);
  t.deepEqual(reader.read(next).map(comparable), [comparable(fact(99_999))]);
});
