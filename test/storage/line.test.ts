// The line format: what the hash covers, and reading a line at fixed offsets.
import test from 'ava';
import { createHash } from 'node:crypto';
import { bodyHash, checkedLineHash, encodeLine, eventJson, frameLine, GENESIS, LineBuffer, LineCheck } from '../../storage/line.ts';

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

test('checkedLineHash accepts exactly the lines that frameLine + bodyHash accept, over many damaged lines', (t) => {
  // A deterministic generator, so a failure can be replayed.
  let state = 12345;
  const rand = (n: number) => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const general = (buf: Buffer, s: number, e: number, seq: number, prev: string | null) => {
    const f = frameLine(buf, s, e);
    return f && f.seq === seq && (prev === null || f.prev === prev) && bodyHash(buf, s, f.bodyEnd) === f.hash ? f.hash : null;
  };
  let prev = GENESIS;
  let accepted = 0;
  let refused = 0;
  for (let seq = 0; seq < 3000; seq++) {
    const { line, hash } = encodeLine(seq, prev, eventJson(seq % 11 === 0 ? {} : { n: seq, note: 'grüße'.repeat(rand(4)) }));
    // A newline before the line: bodyHash borrows the byte before a line.
    const buf = Buffer.from('\n' + line);
    const s = 1;
    const e = buf.length - 1;
    const damage = rand(4);
    if (damage >= 1) buf[s + rand(e - s)] = [0x30, 0x31, 0x61, 0x22, 0x2c, 0x7b, 0x7d, 0x20][rand(8)];
    if (damage === 2) buf[s + 7 + rand(4)] = 0x30 + rand(10); // in or around the seq digits
    const claimedSeq = damage === 3 ? seq + rand(3) - 1 : seq;
    const claimedPrev = damage === 3 && rand(3) === 0 ? hash : rand(5) === 0 ? null : prev;
    const want = general(buf, s, e, claimedSeq, claimedPrev);
    const got = checkedLineHash(buf, s, e, claimedSeq, claimedPrev);
    if (got !== want) t.fail(`seq ${seq}, damage ${damage}: fast ${got}, general ${want}: ${buf.toString('latin1', s, e)}`);
    if (got) accepted++;
    else refused++;
    t.is(buf[0], 10, 'the byte before the line is put back');
    prev = hash;
  }
  // Both outcomes occur often, so the agreement means something.
  t.true(accepted > 700 && refused > 700, `${accepted} accepted, ${refused} refused`);
});

test("LineCheck (verify's byte path) accepts exactly the lines that frameLine + bodyHash accept, and writes their hash", (t) => {
  // Damaged lines one after another in one buffer, as verify reads them: each is checked
  // with the previous line's stored hash as its prev, in the same buffer (compared four
  // bytes at a time) or copied out (the first line of a chunk); its seq is sometimes off.
  let state = 777;
  const rand = (n: number) => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const lines: string[] = [];
  let prev = GENESIS;
  for (let seq = 0; seq < 4000; seq++) {
    const { line, hash } = encodeLine(seq, prev, eventJson(seq % 13 === 0 ? {} : { n: seq, note: 'grüße'.repeat(rand(4)) }));
    lines.push(line);
    prev = hash;
  }
  const buf = Buffer.from(lines.join(''));
  const hex = [0x30, 0x39, 0x61, 0x66]; // digits and letters at the ends of the hex ranges
  const other = [0x41, 0x46, 0x67, 0x2f, 0x3a, 0x60, 0x22, 0x2c, 0x7b, 0x7d, 0x20, 0x0a + 1];
  for (let s = 0, n = 0; s < buf.length; n++) {
    const e = buf.indexOf(10, s);
    const damage = rand(6);
    if (damage === 1) buf[s + rand(e - s)] = [...hex, ...other][rand(16)]; // anywhere
    if (damage === 2) buf[e - 3 - rand(64)] = [...hex, ...other][rand(16)]; // in the stored hash
    if (damage === 3) buf[s + 7 + rand(4)] = 0x30 + rand(10); // in or around the seq digits
    if (damage === 4) buf[s + 20 + rand(64)] = [...hex, ...other][rand(16)]; // in or near prev
    s = e + 1;
  }
  const check = new LineCheck();
  const out = Buffer.alloc(40);
  let accepted = 0;
  let refused = 0;
  let prevAt = -1; // the previous line's stored hash, in buf
  for (let s = 0, seq = 0; s < buf.length; seq++) {
    const e = buf.indexOf(10, s);
    const claimedSeq = rand(8) === 0 ? seq + rand(3) - 1 : seq;
    const prevHex = prevAt < 0 ? GENESIS : buf.toString('latin1', prevAt, prevAt + 64);
    const f = frameLine(buf, s, e);
    const want = f && f.seq === claimedSeq && f.prev === prevHex && bodyHash(buf, s, f.bodyEnd) === f.hash ? f.hash : null;
    const copied = prevAt < 0 || rand(4) === 0;
    const outAt = rand(8);
    out.fill(0);
    const got = copied ? check.check(buf, s, e, claimedSeq, Buffer.from(prevHex, 'latin1'), 0, out, outAt) : check.check(buf, s, e, claimedSeq, buf, prevAt, out, outAt);
    if (got !== (want !== null)) t.fail(`line ${seq}: LineCheck ${got}, general ${want}: ${buf.toString('latin1', s, e)}`);
    if (got && out.toString('hex', outAt, outAt + 32) !== want) t.fail(`line ${seq}: wrote ${out.toString('hex', outAt, outAt + 32)}, its hash is ${want}`);
    t.is(checkedLineHash(buf, s, e, claimedSeq, prevHex), want);
    if (got) accepted++;
    else refused++;
    prevAt = e - 66;
    s = e + 1;
  }
  t.is(buf.indexOf(0), -1, 'the byte borrowed before each line is put back');
  // Both outcomes occur often, so the agreement means something.
  t.true(accepted > 1000 && refused > 1000, `${accepted} accepted, ${refused} refused`);
});
