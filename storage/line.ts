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

const SEQ_BYTES = Buffer.from(SEQ_PREFIX);
const PREV_BYTES = Buffer.from(PREV_PREFIX);
const HASH_BYTES = Buffer.from(HASH_PREFIX);

/** Whether buf holds `lit` at `at`; a plain loop beats Buffer#compare for a few bytes. */
function holds(buf: Buffer, at: number, lit: Buffer): boolean {
  for (let k = 0; k < lit.length; k++) if (buf[at + k] !== lit[k]) return false;
  return true;
}

/**
 * Where the prev digits of the line buf[start, end) (end at its newline) start, or -1 if the
 * line is not framed as the log writes it: the seq prefix and 1 to 15 digits without a
 * leading zero, the prev prefix, 64 bytes and a quote, and the hash member closing the line.
 * The seq digits end PREV_BYTES.length bytes before the returned offset; the body ends
 * TAIL_LENGTH bytes before `end`. Checks bytes at fixed offsets only (no hash, no JSON).
 */
function framed(buf: Buffer, start: number, end: number): number {
  if (end - start < SEQ_BYTES.length + 1 + PREV_BYTES.length + 65 + TAIL_LENGTH) return -1;
  if (!holds(buf, start, SEQ_BYTES)) return -1;
  const digitsStart = start + SEQ_BYTES.length;
  let i = digitsStart;
  while (buf[i] >= 0x30 && buf[i] <= 0x39) i++;
  if (i === digitsStart || i - digitsStart > 15 || (buf[digitsStart] === 0x30 && i - digitsStart > 1)) return -1;
  if (!holds(buf, i, PREV_BYTES)) return -1;
  const prevStart = i + PREV_BYTES.length;
  if (buf[prevStart + 64] !== 0x22) return -1;
  const bodyEnd = end - TAIL_LENGTH;
  if (bodyEnd < prevStart + 65 || !holds(buf, bodyEnd, HASH_BYTES) || buf[end - 2] !== 0x22 || buf[end - 1] !== 0x7d) return -1;
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
  const prevStart = framed(buf, start, end);
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
  const prevStart = framed(buf, start, end);
  if (prevStart < 0 || framedSeq(buf, start, prevStart) !== seq) return null;
  // Short strings compared with === beat a charCodeAt loop: crypto's hex strings are slow to index.
  if (prev !== null && buf.toString('latin1', prevStart, prevStart + 64) !== prev) return null;
  const h = bodyHash(buf, start, end - TAIL_LENGTH);
  return buf.toString('latin1', end - HASH_FROM_END, end - 2) === h ? h : null;
}

const LEAF_PREFIX = Buffer.alloc(1);

/**
 * SHA-256 (hex) of 0x00 ‖ the body buf[start, bodyEnd), as stored in the line's `hash`. The
 * byte before a line is the previous line's newline: it is set to 0x00 for the call and put
 * back, so the digest is one call over the buffer, without a copy.
 */
export function bodyHash(buf: Buffer, start: number, bodyEnd: number): string {
  if (start === 0) return createHash('sha256').update(LEAF_PREFIX).update(buf.subarray(0, bodyEnd)).digest('hex');
  const saved = buf[start - 1];
  buf[start - 1] = 0;
  const h = hash('sha256', buf.subarray(start - 1, bodyEnd), 'hex');
  buf[start - 1] = saved;
  return h;
}
