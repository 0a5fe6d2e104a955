// Cuts a TCP byte stream into whole OpenFlow messages. Chunks may split or join messages
// anywhere; an incomplete tail is kept until the next chunk. A header whose length is below
// 8 or above the configured maximum leaves no way to find the next message, so it ends the
// stream: the framer returns a FrameError and stays failed.
import { OFP_HEADER_LEN } from './constants.ts';
import type { DecodeError } from './types.ts';

export const DEFAULT_MAX_MESSAGE = 0xffff;

export type Frame = Uint8Array | DecodeError;

export class OfpFramer {
  readonly maxLength: number;
  // The message being assembled across chunks: first its 8 header bytes in `head`, then,
  // once its length is known, the whole message in a buffer of exactly that size. Each
  // byte is copied at most once, however small the chunks (a peer dripping one byte per
  // segment costs O(n), not O(n^2)).
  private head = Buffer.alloc(OFP_HEADER_LEN);
  private partial: Buffer | undefined;
  private filled = 0;
  private failed: DecodeError | undefined;

  constructor(options: { maxLength?: number } = {}) {
    this.maxLength = options.maxLength ?? DEFAULT_MAX_MESSAGE;
  }

  /** Bytes held back, waiting for the rest of a message. */
  get buffered(): number {
    return this.filled;
  }

  /** The error that stopped the stream, if any. */
  get error(): DecodeError | undefined {
    return this.failed;
  }

  /** Feed one chunk; returns the whole messages it completes (views of the chunk where
   *  possible, so a caller keeping a frame beyond the chunk's life must copy it), and at
   *  most one DecodeError, last, if the stream is broken. */
  push(chunk: Uint8Array): Frame[] {
    if (this.failed) return [this.failed];
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const out: Frame[] = [];
    let off = this.filled > 0 ? this.complete(b, out) : 0;
    if (this.failed || this.filled > 0) return out;
    while (b.length - off >= OFP_HEADER_LEN) {
      const length = b.readUInt16BE(off + 2);
      if (!this.lengthOk(b, off, length, out)) return out;
      if (b.length - off < length) break;
      out.push(b.subarray(off, off + length));
      off += length;
    }
    if (off < b.length) this.complete(b.subarray(off), out);
    return out;
  }

  /** Add bytes to the message being assembled; returns how many of `b` it took. */
  private complete(b: Buffer, out: Frame[]): number {
    let off = 0;
    if (this.partial === undefined) {
      const n = Math.min(OFP_HEADER_LEN - this.filled, b.length);
      b.copy(this.head, this.filled, 0, n);
      this.filled += n;
      off = n;
      if (this.filled < OFP_HEADER_LEN) return off;
      const length = this.head.readUInt16BE(2);
      if (!this.lengthOk(this.head, 0, length, out)) return off;
      this.partial = Buffer.allocUnsafe(length);
      this.head.copy(this.partial);
    }
    const n = Math.min(this.partial.length - this.filled, b.length - off);
    b.copy(this.partial, this.filled, off, off + n);
    this.filled += n;
    off += n;
    if (this.filled === this.partial.length) {
      out.push(this.partial);
      this.partial = undefined;
      this.filled = 0;
    }
    return off;
  }

  /** A length below 8 or above the maximum leaves no way to find the next message. */
  private lengthOk(b: Buffer, off: number, length: number, out: Frame[]): boolean {
    if (length >= OFP_HEADER_LEN && length <= this.maxLength) return true;
    this.failed = {
      kind: 'decode-error',
      code: 'BAD_LENGTH',
      message: `message has length ${length}, allowed ${OFP_HEADER_LEN}..${this.maxLength}`,
      header: { version: b[off]!, type: b[off + 1]!, length, xid: b.readUInt32BE(off + 4) },
    };
    this.partial = undefined;
    this.filled = 0;
    out.push(this.failed);
    return false;
  }
}
