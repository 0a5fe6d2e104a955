// The line format: what the hash covers, and reading a line at fixed offsets.
import test from 'ava';
import { createHash } from 'node:crypto';
import { bodyHash, encodeLine, eventJson, frameLine, GENESIS, LineBuffer } from '../../storage/line.ts';

test('a line is {seq, prev, the event, hash} and its hash is SHA-256(0x00 ‖ body)', (t) => {
  const { line, hash } = encodeLine(7, GENESIS, eventJson({ '@timestamp': '2026-01-01T00:00:00Z', 'event': { action: 'flow.end' } }));
  const body = `{"seq":7,"prev":"${GENESIS}","@timestamp":"2026-01-01T00:00:00Z","event":{"action":"flow.end"}`;
  t.is(line, `${body},"hash":"${hash}"}\n`);
  t.is(hash, createHash('sha256').update(Buffer.from([0])).update(body).digest('hex'));
  t.deepEqual(JSON.parse(line), { seq: 7, prev: GENESIS, '@timestamp': '2026-01-01T00:00:00Z', event: { action: 'flow.end' }, hash });
});

test('an empty event and non-ASCII text encode and frame correctly', (t) => {
  const a = encodeLine(0, GENESIS, eventJson({}));
  const b = encodeLine(1, a.hash, eventJson({ note: 'grüße ☃' }));
  const buf = Buffer.from(a.line + b.line);
  const end0 = buf.indexOf(10);
  const f0 = frameLine(buf, 0, end0)!;
  t.like(f0, { seq: 0, prev: GENESIS, hash: a.hash });
  t.is(bodyHash(buf, 0, f0.bodyEnd), a.hash);
  const f1 = frameLine(buf, end0 + 1, buf.length - 1)!;
  t.like(f1, { seq: 1, prev: a.hash, hash: b.hash });
  t.is(bodyHash(buf, end0 + 1, f1.bodyEnd), b.hash);
  t.is(buf[end0], 10, 'the newline borrowed for the leaf prefix is put back');
});

test('frameLine refuses lines the writer would not produce', (t) => {
  const { line } = encodeLine(12, GENESIS, eventJson({ a: 1 }));
  const frame = (s: string) => frameLine(Buffer.from(s), 0, Buffer.byteLength(s));
  t.truthy(frame(line.trimEnd()));
  t.is(frame(line.trimEnd().replace('"seq":12', '"seq":012')), null);
  t.is(frame(line.trimEnd().replace('"seq":12', '"seq":-1')), null);
  t.is(frame(line.trimEnd().replace('"prev"', '"prov"')), null);
  t.is(frame(line.trimEnd().slice(0, -1)), null);
  t.is(frame('{"seq":1}'), null);
});

test('events carrying seq, prev or hash, or that are not objects, are refused', (t) => {
  for (const bad of [{ seq: 1 }, { prev: 'x' }, { hash: 'y' }, null, [1], 'text']) {
    t.throws(() => eventJson(bad), { instanceOf: TypeError });
  }
});

test('LineBuffer writes the bytes and hashes encodeLine defines, across growth and take(); taken lines stay as they were', (t) => {
  const events = [{}, { note: 'grüße ☃ \u{1F600}' }, { '@timestamp': '2026-01-01T00:00:00Z', pad: 'x'.repeat(300) }, { a: 1 }];
  const lines = new LineBuffer(256); // a small slab, so appends move to new ones
  const taken: [Buffer, string][] = [];
  let expected = '';
  let prev = GENESIS;
  for (let seq = 0; seq < 60; seq++) {
    const json = eventJson(events[seq % events.length]!);
    const reference = encodeLine(seq, prev, json);
    t.is(lines.append(seq, prev, json), reference.hash);
    expected += reference.line;
    prev = reference.hash;
    if (seq % 7 === 3 || seq > 50) {
      t.is(lines.length, Buffer.byteLength(expected));
      taken.push([lines.take(), expected]);
      expected = '';
      t.is(lines.length, 0);
    }
  }
  taken.push([lines.take(), expected]);
  for (const [buf, text] of taken) t.is(buf.toString(), text);
});
