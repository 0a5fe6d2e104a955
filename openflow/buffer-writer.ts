// A growable big-endian byte writer. The encoder writes every message into one of these and
// fills in length fields last (`patchU16`), so a caller sending many messages reuses one
// buffer and pays one copy per batch (`finish`) instead of one allocation per field.

/** Thrown by the encoder when a message cannot be put on the wire (a value out of range,
 *  a malformed address, a length that does not fit its field). */
export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodeError';
  }
}

// A NaN-safe check: Buffer's own writers silently write 0 for NaN (e.g. a missing field).
function outOfRange(v: unknown, bits: number): EncodeError {
  return new EncodeError(`value ${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v)} does not fit an unsigned ${bits}-bit field`);
}

export class BufferWriter {
  buf: Buffer;
  pos = 0;
  // DataView stores skip Buffer's own argument checks, which the range checks here make redundant.
  private dv: DataView;

  constructor(initialSize = 4096) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialSize));
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  private grow(extra: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.dv = new DataView(next.buffer, next.byteOffset, next.length);
  }

  /** Make room for `n` more bytes (for callers that then write `buf` directly). */
  reserve(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  u8(v: number): void {
    if (!(v >= 0 && v <= 0xff)) throw outOfRange(v, 8);
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    if (!(v >= 0 && v <= 0xffff)) throw outOfRange(v, 16);
    if (this.pos + 2 > this.buf.length) this.grow(2);
    this.dv.setUint16(this.pos, v);
    this.pos += 2;
  }

  u24(v: number): void {
    if (!(v >= 0 && v <= 0xffffff)) throw outOfRange(v, 24);
    this.u8(v >>> 16);
    this.u16(v & 0xffff);
  }

  u32(v: number): void {
    if (!(v >= 0 && v <= 0xffffffff)) throw outOfRange(v, 32);
    if (this.pos + 4 > this.buf.length) this.grow(4);
    this.dv.setUint32(this.pos, v);
    this.pos += 4;
  }

  u64(v: bigint): void {
    if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) throw outOfRange(v, 64);
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.dv.setBigUint64(this.pos, v);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  zeros(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
    // Padding is short (1-7 bytes, at most 256 for strings): a loop beats fill()'s call cost.
    const buf = this.buf;
    const end = this.pos + n;
    for (let p = this.pos; p < end; p++) buf[p] = 0;
    this.pos = end;
  }

  /** A NUL-padded fixed-size string field (port names, descriptions). */
  fixedString(s: string, size: number): void {
    if (this.pos + size > this.buf.length) this.grow(size);
    const n = this.buf.write(s, this.pos, size, 'utf8');
    if (Buffer.byteLength(s) > size) throw new EncodeError(`string "${s}" is longer than ${size} bytes`);
    this.buf.fill(0, this.pos + n, this.pos + size);
    this.pos += size;
  }

  /** Zero-pad so that the bytes written since `start` are a multiple of 8. */
  pad8(start: number): void {
    const rem = (this.pos - start) & 7;
    if (rem !== 0) this.zeros(8 - rem);
  }

  /** Overwrite a 16-bit field written earlier: how lengths get filled in last. */
  patchU16(at: number, v: number): void {
    if (v > 0xffff) throw new EncodeError(`length ${v} does not fit its 16-bit field`);
    this.dv.setUint16(at, v);
  }

  /** A copy of everything written so far; the writer is then empty and ready for reuse. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }

  reset(): void {
    this.pos = 0;
  }
}
