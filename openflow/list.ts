// Walking a list of elements that each carry their own 16-bit length, the shape of nearly
// every variable part of OpenFlow (actions, instructions, buckets, bands, properties, stats).
import { Malformed, need } from './malformed.ts';

export interface ListShape {
  /** What the elements are, for error messages. */
  what: string;
  /** Where the 16-bit length sits inside an element. */
  lengthAt: number;
  /** The smallest legal element length. */
  minLength: number;
  /** The length must be a multiple of 8 (actions, instructions, buckets, stats). */
  multipleOf8?: boolean;
  /** The length excludes padding up to 8 (hello elements, properties). */
  paddedTo8?: boolean;
}

export function readList<T>(b: Buffer, off: number, end: number, shape: ListShape, read: (off: number, len: number) => T): T[] {
  const out: T[] = [];
  while (off < end) {
    need(off, shape.lengthAt + 2, end, `${shape.what} header`);
    const len = b.readUInt16BE(off + shape.lengthAt);
    if (len < shape.minLength || (shape.multipleOf8 && (len & 7) !== 0)) {
      throw new Malformed('BAD_BODY', `${shape.what} length ${len} at offset ${off} is invalid (minimum ${shape.minLength}${shape.multipleOf8 ? ', multiple of 8' : ''})`);
    }
    need(off, len, end, shape.what);
    out.push(read(off, len));
    const step = shape.paddedTo8 ? (len + 7) & ~7 : len;
    off = Math.min(off + step, end);
  }
  return out;
}
