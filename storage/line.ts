// The byte format of one log line, and how its hash is defined.
//
//   {"seq":<n>,"prev":"<64 hex>",<the event's own members>,"hash":"<64 hex>"}\n
//
// The hash is SHA-256 over a zero byte followed by the line's bytes from the opening `{` up
// to, not including, `,"hash":"` — the "body". The body holds seq, prev and the event, so the
// hash covers the line's own content and its link to the previous line. The zero byte makes
// it exactly RFC 6962's leaf hash of the body, so the line hashes are the leaves of a
// block's Merkle tree as they stand (one SHA-256 per line, not two). Hashing the bytes as
// written (rather than a re-serialisation) makes the format canonical by construction, and
// lets a verifier check a line at fixed offsets without parsing its JSON.
import { createHash, hash } from 'node:crypto';

/** `prev` of the line with seq 0. */
export const GENESIS = '0'.repeat(64);

const SEQ_PREFIX = '{"seq":';
const PREV_PREFIX = ',"prev":"';
const HASH_PREFIX = ',"hash":"';
/** A line's stored hash starts this many bytes before its end (its newline): 64 hex + `"}`. */
export const HASH_FROM_END = 64 + 2;
/** Bytes after the body: `,"hash":"` + 64 hex + `"}` (the newline is not counted). */
const TAIL_LENGTH = HASH_PREFIX.length + HASH_FROM_END;
const RESERVED = ['seq', 'prev', 'hash'];

export interface EncodedLine {
  line: string;
  hash: string;
}

/** JSON of an event, validated; throws a TypeError that names the problem. */
export function eventJson(event: unknown): string {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new TypeError('an event must be a plain JSON object');
  }
  for (const key of RESERVED) {
    if (Object.hasOwn(event, key)) throw new TypeError(`an event must not carry "${key}"; the log adds it`);
  }
  const json = JSON.stringify(event);
  if (json === undefined || json[0] !== '{') throw new TypeError('an event must serialise to a JSON object');
  return json;
}

/** The line for an event (as JSON from eventJson) at `seq` after `prev`. */
export function encodeLine(seq: number, prev: string, json: string): EncodedLine {
  const members = json.length > 2 ? ',' + json.slice(1, -1) : '';
  const body = SEQ_PREFIX + seq + PREV_PREFIX + prev + '"' + members;
  const h = hash('sha256', '\0' + body, 'hex');
  return { line: body + HASH_PREFIX + h + '"}\n', hash: h };
}

const COMMA = 0x2c;
/** Bytes of a line besides the event's JSON: `{"seq":` + 15 digits + `,"prev":"` + 64 hex + `"` + tail + newline. */
const FRAME_BYTES = SEQ_PREFIX.length + 15 + PREV_PREFIX.length + 65 + TAIL_LENGTH + 1;

/**
 * Lines encoded straight into bytes, for the writer: the same bytes as encodeLine, but the
 * event's JSON is converted to UTF-8 once and hashed in place, instead of building the line
 * as a string that is then hashed, measured, joined and converted again.
 */
export class LineBuffer {
  // Lines are written into a slab, one region per take(). The byte before a region is kept
  // zero: bodyHash borrows the byte before a body for the leaf prefix, and before a region's
  // first line that byte must not belong to lines already taken (a write may be reading them).
  #buf: Buffer;
  /** Where the current region's zero byte is; its lines start one byte later. */
  #base = 0;
  #length = 0;
  readonly #slab: number;

  constructor(slab = 1 << 16) {
    this.#slab = slab;
    this.#buf = Buffer.allocUnsafe(slab);
    this.#buf[0] = 0;
  }

  /** Bytes of lines held. */
  get length(): number {
    return this.#length;
  }

  /** Appends the line for an event (as JSON from eventJson) at `seq` after `prev`; returns its hash. */
  append(seq: number, prev: string, json: string): string {
    this.#reserve(FRAME_BYTES + 3 * json.length); // UTF-8 takes at most 3 bytes per UTF-16 unit
    const buf = this.#buf;
    const start = this.#base + 1 + this.#length;
    let at = start + buf.write(SEQ_PREFIX + seq + PREV_PREFIX + prev + '"', start, 'latin1');
    if (json.length > 2) {
      // The event's members follow prev: its `{` (eventJson made sure there is one) becomes
      // the separating comma, its `}` is dropped.
      const jsonStart = at;
      at += buf.write(json, at, 'utf8') - 1;
      buf[jsonStart] = COMMA;
    }
    const h = bodyHash(buf, start, at);
    at += buf.write(HASH_PREFIX + h + '"}\n', at, 'latin1');
    this.#length = at - this.#base - 1;
    return h;
  }

  /**
   * The lines held, as one buffer; the LineBuffer starts empty again, in the rest of the
   * slab. (A fresh 64 KiB buffer per take, as at first, cost a major GC every few ms when
   * each write carried one line.)
   */
  take(): Buffer {
    const lines = this.#buf.subarray(this.#base + 1, this.#base + 1 + this.#length);
    this.#base += 1 + this.#length;
    this.#length = 0;
    if (this.#base < this.#buf.length) this.#buf[this.#base] = 0;
    else this.#reserve(0);
    return lines;
  }

  /** Makes room for `bytes` more in the current region, moving it to a new slab if need be. */
  #reserve(bytes: number): void {
    const region = 1 + this.#length;
    if (this.#base + region + bytes <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#slab, 2 * (region + bytes)));
    this.#buf.copy(next, 0, this.#base, this.#base + region);
    next[0] = 0;
    this.#buf = next;
    this.#base = 0;
  }
}

/** What a verifier reads at fixed offsets of one line (without its newline). */
export interface LineFrame {
  seq: number;
  prev: string;
  hash: string;
  /** The line's end (exclusive) minus the tail: the body is [start, bodyEnd). */
  bodyEnd: number;
}

const HEX_DIGITS = '0123456789abcdef';
const SEQ_BYTES = Buffer.from(SEQ_PREFIX);
const PREV_BYTES = Buffer.from(PREV_PREFIX);
const HASH_BYTES = Buffer.from(HASH_PREFIX);

// The literals as big-endian 32-bit words, so framing compares four bytes at a time.
const SEQ_WORDS = [SEQ_BYTES.readInt32BE(0), SEQ_BYTES.readInt32BE(SEQ_BYTES.length - 4)];
const PREV_WORDS = [PREV_BYTES.readInt32BE(0), PREV_BYTES.readInt32BE(4)];
const HASH_WORDS = [HASH_BYTES.readInt32BE(0), HASH_BYTES.readInt32BE(4)];
const CLOSE = 0x227d; // `"}`

/** Whether view holds a member prefix (`,"name":"`, 9 bytes) given as its first two words at `at`. */
function holdsMember(view: DataView, at: number, words: number[]): boolean {
  return view.getInt32(at) === words[0] && view.getInt32(at + 4) === words[1] && view.getUint8(at + 8) === 0x22;
}

/** A DataView of all of buf. */
function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Where the prev digits of the line buf[start, end) (end at its newline; `view` views buf)
 * start, or -1 if the line is not framed as the log writes it: the seq prefix and 1 to 15
 * digits without a leading zero, the prev prefix, 64 bytes and a quote, and the hash member
 * closing the line. The seq digits end PREV_BYTES.length bytes before the returned offset;
 * the body ends TAIL_LENGTH bytes before `end`. Checks bytes at fixed offsets only (no
 * hash, no JSON).
 */
function framed(view: DataView, start: number, end: number): number {
  if (end - start < SEQ_BYTES.length + 1 + PREV_BYTES.length + 65 + TAIL_LENGTH) return -1;
  if (view.getInt32(start) !== SEQ_WORDS[0] || view.getInt32(start + SEQ_BYTES.length - 4) !== SEQ_WORDS[1]) return -1;
  const digitsStart = start + SEQ_BYTES.length;
  let i = digitsStart;
  for (let c = view.getUint8(i); c >= 0x30 && c <= 0x39; c = view.getUint8(++i));
  if (i === digitsStart || i - digitsStart > 15 || (view.getUint8(digitsStart) === 0x30 && i - digitsStart > 1)) return -1;
  if (!holdsMember(view, i, PREV_WORDS)) return -1;
  const prevStart = i + PREV_BYTES.length;
  if (view.getUint8(prevStart + 64) !== 0x22) return -1;
  const bodyEnd = end - TAIL_LENGTH;
  if (bodyEnd < prevStart + 65 || !holdsMember(view, bodyEnd, HASH_WORDS) || view.getUint16(end - 2) !== CLOSE) return -1;
  return prevStart;
}

/** The seq of a line framed() accepted, whose prev digits start at prevStart. */
function framedSeq(buf: Buffer, start: number, prevStart: number): number {
  let seq = 0;
  for (let i = start + SEQ_BYTES.length, to = prevStart - PREV_BYTES.length; i < to; i++) seq = seq * 10 + (buf[i] - 0x30);
  return seq;
}

/**
 * Reads seq, prev and hash of the line buf[start, end) (end at its newline), or returns
 * null if the line is not framed as the log writes it. Does not check the hash.
 */
export function frameLine(buf: Buffer, start: number, end: number): LineFrame | null {
  const prevStart = framed(viewOf(buf), start, end);
  if (prevStart < 0) return null;
  const bodyEnd = end - TAIL_LENGTH;
  return {
    seq: framedSeq(buf, start, prevStart),
    prev: buf.toString('latin1', prevStart, prevStart + 64),
    hash: buf.toString('latin1', end - HASH_FROM_END, end - 2),
    bodyEnd,
  };
}

/**
 * The fast path of checking a line, for walks over the whole log: whether buf[start, end)
 * (end at its newline) is framed as the writer makes it (framed(), as for frameLine), with
 * seq `seq`, prev `prev` (not checked when null) and a hash that matches its body. Returns
 * that hash, or null when any of it fails — then frameLine and bodyHash tell what. Unlike
 * frameLine it makes no object and reads prev only to compare it, without parsing the JSON.
 */
export function checkedLineHash(buf: Buffer, start: number, end: number, seq: number, prev: string | null): string | null {
  const prevStart = framed(viewOf(buf), start, end);
  if (prevStart < 0 || framedSeq(buf, start, prevStart) !== seq) return null;
  // Short strings compared with === beat a charCodeAt loop: crypto's hex strings are slow to index.
  if (prev !== null && buf.toString('latin1', prevStart, prevStart + 64) !== prev) return null;
  const h = bodyHash(buf, start, end - TAIL_LENGTH);
  return buf.toString('latin1', end - HASH_FROM_END, end - 2) === h ? h : null;
}

/**
 * checkedLineHash for verify's walk, on bytes only: no string is made from the log (each
 * such string cost ~0.1 µs a line, with the garbage it leaves), and 64 bytes are compared
 * four at a time. `prev` is given as the 64 hex bytes at prevBuf[prevAt] — the previous
 * line's stored hash, once the walk has checked it — and the line's hash is written as 32
 * bytes to out[outAt] (where a Merkle frontier takes its next leaf; written also when the
 * stored hash turns out not to match). check() accepts exactly
 * the lines that checkedLineHash accepts (with the same prev, as hex). One per walk: it
 * keeps a DataView of the buffer it last saw.
 */
export class LineCheck {
  #buf: Buffer | null = null;
  #view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  check(buf: Buffer, start: number, end: number, seq: number, prevBuf: Buffer, prevAt: number, out: Buffer, outAt: number): boolean {
    if (buf !== this.#buf) {
      this.#buf = buf;
      this.#view = viewOf(buf);
    }
    const view = this.#view;
    const prevStart = framed(view, start, end);
    if (prevStart < 0 || framedSeq(buf, start, prevStart) !== seq) return false;
    if (prevBuf === buf) {
      for (let k = 0; k < 64; k += 4) if (view.getInt32(prevStart + k) !== view.getInt32(prevAt + k)) return false;
    } else {
      for (let k = 0; k < 64; k++) if (buf[prevStart + k] !== prevBuf[prevAt + k]) return false;
    }
    out.write(bodyDigest(buf, start, end - TAIL_LENGTH, 'binary'), outAt, 32, 'latin1');
    // The stored hash must be exactly the lowercase hex of the digest: four digits at a time.
    for (let k = 0, at = end - HASH_FROM_END; k < 32; k += 2, at += 4) {
      if (view.getInt32(at) !== ((HEX_PAIR[out[outAt + k]] << 16) | HEX_PAIR[out[outAt + k + 1]])) return false;
    }
    return true;
  }
}

/** Each byte value's two lowercase hex digits, as a big-endian 16-bit number. */
const HEX_PAIR = new Uint16Array(256);
for (let i = 0; i < 256; i++) HEX_PAIR[i] = (HEX_DIGITS.charCodeAt(i >> 4) << 8) | HEX_DIGITS.charCodeAt(i & 15);

const LEAF_PREFIX = Buffer.alloc(1);

/**
 * SHA-256 (hex) of 0x00 ‖ the body buf[start, bodyEnd), as stored in the line's `hash`. The
 * byte before a line is the previous line's newline: it is set to 0x00 for the call and put
 * back, so the digest is one call over the buffer, without a copy.
 */
export function bodyHash(buf: Buffer, start: number, bodyEnd: number): string {
  return bodyDigest(buf, start, bodyEnd, 'hex');
}

function bodyDigest(buf: Buffer, start: number, bodyEnd: number, encoding: 'hex' | 'binary'): string {
  if (start === 0) return createHash('sha256').update(LEAF_PREFIX).update(buf.subarray(0, bodyEnd)).digest(encoding);
  const saved = buf[start - 1];
  buf[start - 1] = 0;
  // A plain Uint8Array view: cheaper to make than Buffer#subarray's Buffer.
  const h = hash('sha256', new Uint8Array(buf.buffer, buf.byteOffset + start - 1, bodyEnd - start + 1), encoding);
  buf[start - 1] = saved;
  return h;
}
