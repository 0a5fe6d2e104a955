// The variable-length parts that follow a fixed struct, as pairs of reader and writer over
// named fields, so that messages and multipart entries with the same tail share one codec.
import { readBuckets, writeBuckets } from './buckets.ts';
import type { BufferWriter } from './buffer-writer.ts';
import { readInstructions, writeInstructions } from './instructions.ts';
import type { Layout } from './layout.ts';
import { readList, type ListShape } from './list.ts';
import { Malformed } from './malformed.ts';
import { readMeterBands, writeMeterBands } from './meter-bands.ts';
import { matchSize, readMatch, writeMatch } from './oxm.ts';
import type { Bucket, Instruction, Match, MeterBand } from './types.ts';

export interface Tail<V extends object> {
  read(b: Buffer, off: number, end: number): V;
  write(w: BufferWriter, v: V): void;
}

export const BUCKETS: Tail<{ buckets: Bucket[] }> = {
  read: (b, off, end) => ({ buckets: readBuckets(b, off, end) }),
  write: (w, v) => writeBuckets(w, v.buckets),
};

export const BANDS: Tail<{ bands: MeterBand[] }> = {
  read: (b, off, end) => ({ bands: readMeterBands(b, off, end) }),
  write: (w, v) => writeMeterBands(w, v.bands),
};

export const MATCH_ONLY: Tail<{ match: Match }> = {
  read(b, off, end) {
    const match = readMatch(b, off, end);
    if (off + matchSize(b, off) !== end) throw new Malformed('BAD_LENGTH', 'bytes after the match');
    return { match };
  },
  write: (w, v) => writeMatch(w, v.match),
};

export const MATCH_AND_INSTRUCTIONS: Tail<{ match: Match; instructions: Instruction[] }> = {
  read(b, off, end) {
    const match = readMatch(b, off, end);
    return { match, instructions: readInstructions(b, off + matchSize(b, off), end) };
  },
  write(w, v) {
    writeMatch(w, v.match);
    writeInstructions(w, v.instructions);
  },
};

/** Fixed-size entries repeated to the end (bucket counters, meter band stats). */
export function repeated<K extends string, V>(key: K, layout: Layout<V>): Tail<Record<K, V[]>> {
  return {
    read(b, off, end) {
      if ((end - off) % layout.size !== 0) throw new Malformed('BAD_LENGTH', `${end - off} bytes is not a whole number of ${layout.size}-byte entries`);
      const out: V[] = [];
      for (let p = off; p < end; p += layout.size) out.push({ ...layout.read(b, p, end) });
      return { [key]: out } as Record<K, V[]>;
    },
    write: (w, v) => v[key].forEach((e) => layout.write(w, e)),
  };
}

/** A list of entries, each a fixed head carrying its own length, then a tail. */
export function entries<E extends object>(shape: ListShape, head: Layout<any>, tail: Tail<any>): Tail<{ list: E[] }> {
  return {
    read: (b, off, end) => ({
      list: readList(b, off, end, shape, (at, len) => {
        const f = head.read(b, at, at + len);
        return Object.assign(f, tail.read(b, at + head.size, at + len)) as E;
      }),
    }),
    write(w, v) {
      for (const e of v.list) {
        const start = w.pos;
        head.write(w, e);
        tail.write(w, e);
        w.patchU16(start + shape.lengthAt, w.pos - start);
      }
    },
  };
}
