// Robustness: 100,000 random and mutated messages (bit flips, truncations, wrong lengths,
// random bodies) give a message or an error value, never an exception past the API, a hang
// (ava's timeout), or a framer that holds more than one maximal message.
import test from 'ava';
import { decodeMessage, encodeMessage, EncodeError, OfpFramer, type DecodeResult } from '../../openflow/index.ts';
import { loadCorpus } from './corpus.ts';
import { randInt, rng } from './random.ts';

const corpus = loadCorpus().map((c) => c.bytes);
const COUNT = 100_000;

function mutate(r: () => number, i: number): Buffer {
  const src = corpus[i % corpus.length]!;
  const b = Buffer.from(src);
  switch (i % 5) {
    case 0: { // bit flips anywhere after the length field
      const flips = 1 + randInt(r, 4);
      for (let k = 0; k < flips && b.length > 8; k++) b[4 + randInt(r, b.length - 4)]! ^= 1 << randInt(r, 8);
      return b;
    }
    case 1: { // truncated, header length fixed up so only the body contradicts itself
      const t = b.subarray(0, 8 + randInt(r, b.length - 7));
      t.writeUInt16BE(t.length, 2);
      return t;
    }
    case 2: // a wrong header length
      b.writeUInt16BE(randInt(r, 0x10000), 2);
      return b;
    case 3: { // an inner length field (any 16-bit word past the header) set to a random value
      if (b.length >= 12) b.writeUInt16BE(randInt(r, 0x10000), 8 + 2 * randInt(r, (b.length - 8) >> 1));
      return b;
    }
    default: { // random body under a valid header of a random type
      const len = 8 + randInt(r, 200);
      const x = Buffer.alloc(len);
      for (let k = 0; k < len; k++) x[k] = randInt(r, 256);
      x[0] = 4;
      x[1] = randInt(r, 32);
      x.writeUInt16BE(len, 2);
      return x;
    }
  }
}

test(`${COUNT} random and mutated messages: a message or an error value, never a throw`, (t) => {
  const r = rng(13);
  const counts = { ok: 0, error: 0, reencoded: 0 };
  for (let i = 0; i < COUNT; i++) {
    const input = mutate(r, i);
    let result: DecodeResult;
    try {
      result = decodeMessage(input);
    } catch (e) {
      return t.fail(`decodeMessage threw on case ${i} (${input.toString('hex')}): ${(e as Error).stack}`);
    }
    if (!result.ok) {
      counts.error++;
      if (typeof result.error.message !== 'string' || result.error.kind !== 'decode-error') return t.fail(`bad error value on case ${i}`);
      continue;
    }
    counts.ok++;
    // Whatever decodes must encode (the decoder only yields encodable values) and decode
    // back to the same message: the codec's two directions agree on mutated input too.
    try {
      const again = decodeMessage(encodeMessage(result.message));
      if (!again.ok) return t.fail(`case ${i}: re-encoded message does not decode: ${again.error.message}`);
      t.deepEqual(again.message, result.message);
      counts.reencoded++;
    } catch (e) {
      if (!(e instanceof EncodeError)) return t.fail(`encode threw a non-EncodeError on case ${i}: ${(e as Error).stack}`);
      return t.fail(`case ${i}: decoded but not encodable: ${e.message} (${input.toString('hex')})`);
    }
  }
  t.log(counts);
  t.true(counts.ok > 1000 && counts.error > 1000, 'both outcomes are exercised');
});

test('a stream of mutated messages through the framer: bounded buffering, no throw', (t) => {
  const r = rng(99);
  const framer = new OfpFramer();
  let frames = 0;
  let maxBuffered = 0;
  for (let i = 0; i < 20_000; i++) {
    const chunk = mutate(r, i);
    for (const f of framer.push(chunk)) {
      frames++;
      if (f instanceof Uint8Array) decodeMessage(f);
    }
    maxBuffered = Math.max(maxBuffered, framer.buffered);
    if (framer.error) break; // a broken stream stays broken; that is the contract
  }
  t.true(frames > 0);
  t.true(maxBuffered < 0x10000);
});
