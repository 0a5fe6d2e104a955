// The shared text ring the pipeline thread sends event text back through (text-ring.ts): the
// writer never writes over text the reader has not decoded yet, whether the reader is one
// batch behind or most of a ring, a batch skips the ring's end to start again at 0, or the
// positions pass 2^32 and count from 0 again. (The thread tests read each answer before the
// next call is made, so there the reader is never behind.)
import test from 'ava';
import { sharedTextRing, TextRingReader, TextRingWriter, type RingText } from '../../pipeline/text-ring.ts';

test('the writer never overwrites unread text: a reader behind, batches skipping to the start, positions past 2^32', (t) => {
  const size = 1024;
  const ring = sharedTextRing(size);
  new Int32Array(ring.consumed)[0] = -(1 << 17); // both sides start 2^32 - 128 KiB: the positions wrap midway
  const writer = new TextRingWriter(ring);
  const reader = new TextRingReader(ring);
  let seed = 11;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const CHARS = ['a', '"', '\n', 'é', '€', '😀']; // 1 to 4 bytes of UTF-8 (the last one two UTF-16 units)
  const text = () => {
    let s = '';
    for (const n = rand(60); s.length < n; ) s += CHARS[rand(CHARS.length)];
    return s;
  };
  // Batches written and not yet read, oldest first; null where the batch found no room (it goes in the message).
  const unread: { want: string; where: RingText | null }[] = [];
  let differ = 0;
  let ringBatches = 0;
  let noRoom = 0;
  let skipped = 0;
  let wrapped = false;
  let afterWrap = 0;
  let mostBehind = 0;
  let next = -(1 << 17) >>> 0;
  for (let step = 0; step < 20_000; step++) {
    // Phases in which the reader keeps up or falls behind.
    const writes = Math.floor(step / 50) % 2 === 0 ? 3 : 2;
    if (rand(5) < writes) {
      const texts = Array.from({ length: rand(4) }, text);
      const chars = texts.reduce((n, s) => n + s.length, 0);
      const where = writer.write(texts, chars);
      unread.push({ want: texts.join(''), where });
      if (where === null) {
        noRoom++;
        continue;
      }
      ringBatches++;
      if (where.length > 0 && where.at !== (next & (size - 1))) skipped++;
      if (where.next < next) wrapped = true;
      else if (wrapped) afterWrap++;
      next = where.next;
      let behind = 0;
      for (const u of unread) if (u.where) behind += u.where.length;
      mostBehind = Math.max(mostBehind, behind);
    } else if (unread.length > 0) {
      const { want, where } = unread.shift()!;
      if (where !== null && reader.read(where) !== want) differ++;
    }
  }
  for (const { want, where } of unread) if (where !== null && reader.read(where) !== want) differ++;
  t.is(differ, 0, `${differ} of ${ringBatches} batches read back other text`);
  // What the test is meant to have gone through:
  t.true(ringBatches > 5000 && noRoom > 100, `${ringBatches} batches in the ring, ${noRoom} without room`);
  t.true(skipped > 100, `${skipped} batches skipped the ring's end`);
  t.true(wrapped && afterWrap > 1000, `${afterWrap} batches in the ring after the positions wrapped`);
  t.true(mostBehind > size / 2, `the reader was at most ${mostBehind} bytes behind`);
});

test('a ring is a power of two from 1 KiB to 1 GiB', (t) => {
  for (const size of [512, 1000, 3072, 2 ** 31]) t.throws(() => sharedTextRing(size), { message: /power of two/ });
  t.is(sharedTextRing(1024).bytes.byteLength, 1024);
});
