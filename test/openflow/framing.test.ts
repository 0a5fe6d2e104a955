// The stream framer: TCP chunks of any size give the same messages; impossible lengths
// come back as error values, never exceptions.
import test from 'ava';
import { decodeMessage, encodeMessage, messageToJson, OfpFramer, type Frame } from '../../openflow/index.ts';
import { corpusStream, loadCorpus } from './corpus.ts';
import { randInt, rng } from './random.ts';

const corpus = loadCorpus();
const stream = corpusStream(corpus);

function feed(framer: OfpFramer, chunks: Buffer[]): Frame[] {
  return chunks.flatMap((c) => framer.push(c));
}

/** Frames as comparable text: each decoded message as JSON (ava's deepEqual is slow on
 *  messages of a thousand fields), or the error. */
function decoded(frames: Frame[]): string[] {
  return frames.map((f) => {
    if (!(f instanceof Uint8Array)) return JSON.stringify(f);
    const r = decodeMessage(f);
    return JSON.stringify(r.ok ? messageToJson(r.message) : r.error);
  });
}

const expected = decoded(corpus.map((c) => c.bytes));

test('each corpus message split at every byte boundary comes out whole and decodes the same', (t) => {
  let splits = 0;
  for (const [i, entry] of corpus.entries()) {
    for (let cut = 0; cut <= entry.bytes.length; cut++) {
      const framer = new OfpFramer();
      const frames = feed(framer, [entry.bytes.subarray(0, cut), entry.bytes.subarray(cut)]);
      // decodeMessage is a pure function of the frame's bytes, so identical bytes decode the
      // same; the full decode is compared at a few cuts per message to keep this test fast.
      if (frames.length !== 1 || !(frames[0] instanceof Uint8Array) || !Buffer.from(frames[0]).equals(entry.bytes) || framer.buffered !== 0) {
        return t.fail(`${entry.name} cut at ${cut}: ${frames.length} frames, ${framer.buffered} bytes held`);
      }
      if (cut === 1 || cut === 8 || cut === entry.bytes.length - 1) t.is(decoded(frames)[0], expected[i]);
      splits++;
    }
  }
  t.is(splits, corpus.reduce((n, c) => n + c.bytes.length + 1, 0));
});

test('the whole corpus as one stream, fed one byte at a time and in random chunkings', (t) => {
  const oneByOne = feed(new OfpFramer(), Array.from(stream, (_, i) => stream.subarray(i, i + 1)));
  t.deepEqual(decoded(oneByOne), expected);
  const r = rng(2);
  for (let round = 0; round < 200; round++) {
    const chunks: Buffer[] = [];
    for (let off = 0; off < stream.length; ) {
      const size = 1 + randInt(r, round % 2 ? 40 : 3000);
      chunks.push(stream.subarray(off, off + size));
      off += size;
    }
    const framer = new OfpFramer();
    const frames = feed(framer, chunks);
    if (frames.length !== corpus.length) return t.fail(`round ${round}: ${frames.length} frames`);
    t.deepEqual(decoded(frames), expected);
    t.is(framer.buffered, 0);
  }
});

test('an incomplete message is held back until the rest arrives', (t) => {
  const framer = new OfpFramer();
  const msg = corpus[0]!.bytes;
  t.deepEqual(framer.push(msg.subarray(0, 5)), []);
  t.deepEqual(framer.push(msg.subarray(5, 100)), []);
  t.is(framer.buffered, 100);
  const frames = framer.push(Buffer.concat([msg.subarray(100), msg.subarray(0, 3)]));
  t.is(frames.length, 1);
  t.deepEqual(Buffer.from(frames[0] as Uint8Array), msg);
  t.is(framer.buffered, 3);
});

test('a header length below 8 is a BAD_LENGTH error value, and the stream stays failed', (t) => {
  const framer = new OfpFramer();
  const hello = corpus.find((c) => c.name === '4-10-ofp_hello.packet')!.bytes;
  const bad = Buffer.from([4, 2, 0, 7, 0, 0, 0, 9]);
  const frames = framer.push(Buffer.concat([hello, bad, hello]));
  t.is(frames.length, 2);
  t.deepEqual(Buffer.from(frames[0] as Uint8Array), hello);
  const err = frames[1] as Exclude<Frame, Uint8Array>;
  t.is(err.code, 'BAD_LENGTH');
  t.regex(err.message, /length 7/);
  t.deepEqual(err.header, { version: 4, type: 2, length: 7, xid: 9 });
  t.deepEqual(framer.push(hello), [err]);
  t.is(framer.error, err);
});

test('a header length above the configured maximum is an error value', (t) => {
  const framer = new OfpFramer({ maxLength: 1024 });
  const frames = framer.push(Buffer.from([4, 19, 0x10, 0, 0, 0, 0, 1]));
  t.is(frames.length, 1);
  t.like(frames[0], { kind: 'decode-error', code: 'BAD_LENGTH' });
  t.regex((frames[0] as { message: string }).message, /4096.*8\.\.1024/);
});

test('the largest message, dripped one byte per chunk, comes out whole and equal', (t) => {
  const echo = encodeMessage({ type: 'ECHO_REQUEST', xid: 42, data: Buffer.alloc(0xffff - 8, 0xab) });
  t.is(echo.length, 0xffff);
  const framer = new OfpFramer();
  const frames: Frame[] = [];
  for (let i = 0; i < echo.length; i++) {
    frames.push(...framer.push(echo.subarray(i, i + 1)));
    if (framer.buffered > echo.length) return t.fail('holds more than one message');
  }
  t.is(frames.length, 1);
  t.true(Buffer.from(frames[0] as Uint8Array).equals(echo));
  t.is(framer.buffered, 0);
});
