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
  private pending: Buffer = Buffer.alloc(0);
  private failed: DecodeError | undefined;

  constructor(options: { maxLength?: number } = {}) {
    this.maxLength = options.maxLength ?? DEFAULT_MAX_MESSAGE;
  }

  /** Bytes held back, waiting for the rest of a message. */
  get buffered(): number {
    return this.pending.length;
  }

  /** The error that stopped the stream, if any. */
  get error(): DecodeError | undefined {
    return this.failed;
  }

  /** Feed one chunk; returns the whole messages it completes (views of the input where
   *  possible, so a caller keeping a frame beyond the chunk's life must copy it), and at
   *  most one DecodeError, last, if the stream is broken. */
  push(chunk: Uint8Array): Frame[] {
    if (this.failed) return [this.failed];
    let b: Buffer;
    if (this.pending.length === 0) b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    else b = Buffer.concat([this.pending, chunk]);
    const out: Frame[] = [];
    let off = 0;
    while (b.length - off >= OFP_HEADER_LEN) {
      const length = b.readUInt16BE(off + 2);
      if (length < OFP_HEADER_LEN || length > this.maxLength) {
        this.failed = {
          kind: 'decode-error',
          code: 'BAD_LENGTH',
          message: `message at stream offset +${off} has length ${length}, allowed 8..${this.maxLength}`,
          header: { version: b[off]!, type: b[off + 1]!, length, xid: b.readUInt32BE(off + 4) },
        };
        out.push(this.failed);
        this.pending = Buffer.alloc(0);
        return out;
      }
      if (b.length - off < length) break;
      out.push(b.subarray(off, off + length));
      off += length;
    }
    // Copy the tail: the caller may reuse its chunk.
    this.pending = off === b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(off));
    return out;
  }
}
