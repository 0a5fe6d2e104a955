// The core of verify: walks a byte range of the log line by line (fixed-offset framing, seq,
// prev link, hash) and checks the blocks whose lines it holds (seal, links, byte range,
// tip, Merkle root). A range starts where a block starts, with the seq and prev the block
// before it claims; verify runs ranges in order or in parallel and takes the first problem.
import { closeSync, openSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { bodyHash, frameLine, LineCheck, GENESIS, HASH_FROM_END } from './line.ts';
import { lineChunks } from './line-scan.ts';
import { MerkleFrontier } from './merkle.ts';
import { headerSealProblem, type BlockHeader } from './block-header.ts';

export interface Problem {
  /** The first bad (or missing) seq, when the problem is in the log. */
  seq?: number;
  /** The block whose header or snapshot is wrong. */
  block?: number;
  snapshot?: string;
  message: string;
}

export interface WalkRange {
  /** Byte range of the log; `end` is the file size for the range after the last block. */
  start: number;
  end: number;
  fileSize: number;
  /** The seq and prev the first line must have. */
  seq: number;
  prev: string;
  /** The headers of the blocks that start in this range, in order, and the one before. */
  blocks: BlockHeader[];
  before: BlockHeader | null;
}

export interface WalkResult {
  /** Lines checked. */
  lines: number;
  problem: Problem | null;
  /** Bytes after the last newline of the file (only for the last range). */
  torn: boolean;
}

/** Checks of a header that do not need the log: seal and links to the previous block. */
function headerProblem(h: BlockHeader, i: number, prev: BlockHeader | null, key: KeyObject): string | null {
  if (h.index !== i) return `its index is ${h.index}`;
  const seal = headerSealProblem(h, key);
  if (seal) return seal;
  if (h.prevBlockHash !== (prev ? prev.hash : GENESIS)) return 'its previous block hash does not match the previous header';
  if (h.firstSeq !== (prev ? prev.lastSeq + 1 : 0)) return `its first seq ${h.firstSeq} does not follow the previous block`;
  if (h.byteOffset !== (prev ? prev.byteOffset + prev.byteLength : 0)) return `its byte offset ${h.byteOffset} does not follow the previous block`;
  if (!(h.lastSeq >= h.firstSeq) || !(h.byteLength > 0)) return 'it covers no events';
  return null;
}

/** What is wrong with a line that LineCheck refused, in words (a line it refused that this finds no fault in is a bug: thrown). */
function lineFault(buf: Buffer, s: number, e: number, seq: number, prev: string): string {
  const f = frameLine(buf, s, e);
  if (!f) return 'the line is not a log line (framing broken)';
  if (f.seq !== seq) return `found seq ${f.seq} where seq ${seq} belongs${f.seq > seq ? ` (seq ${seq} is missing or moved)` : ''}`;
  if (f.prev !== prev) return 'its prev does not match the hash of the line before';
  if (bodyHash(buf, s, f.bodyEnd) !== f.hash) return 'its hash does not match its content';
  throw new Error(`seq ${seq}: the fast line check and frameLine disagree`); // a bug, not a bad log
}

/**
 * Bytes per read: small enough that a chunk stays in a core's L2 cache (2 MB here) between
 * being copied from the page cache and being hashed. 4 MB reads, which did not, cost 6–10 %
 * more CPU per line (alternating runs, 128 KB and 256 KB alike).
 */
const READ_BYTES = 256 << 10;

/** What verify hands each worker thread (workerData): the ranges and the shared counter of the next one to take. */
export interface VerifyTask {
  path: string;
  publicKey: string;
  ranges: WalkRange[];
  next: Int32Array;
}

/** What a worker posts: a range's result, then that it has taken its last. */
export type VerifyMessage = { id: number; result: WalkResult } | { done: true };

/**
 * Walks ranges taken one at a time from the counter `next` that threads share, yielding
 * [index, result] each, until none is left. A range with a problem stops the taking, on
 * every thread: no range after it is needed.
 */
export function* walkTaken(path: string, ranges: WalkRange[], next: Int32Array, key: KeyObject): Generator<[number, WalkResult]> {
  for (let i = Atomics.add(next, 0, 1); i < ranges.length; i = Atomics.add(next, 0, 1)) {
    const result = walkRange(path, ranges[i], key);
    if (result.problem) Atomics.store(next, 0, ranges.length);
    yield [i, result];
  }
}

function walkRange(path: string, r: WalkRange, key: KeyObject): WalkResult {
  const fd = openSync(path, 'r');
  try {
    const w = new RangeWalk(r, key);
    let problem = w.startBlock();
    if (!problem) {
      for (const { buf, length, offset } of lineChunks(fd, r.start, r.end, () => (w.partial = true), READ_BYTES)) {
        problem = w.lines(buf, length, offset);
        if (problem) break;
      }
    }
    return w.result(problem ?? w.finish());
  } finally {
    closeSync(fd);
  }
}

/**
 * The state of one range's walk from chunk to chunk. A class rather than closures, and one
 * call per chunk for the per-line loop: the compiled loop then serves every range and every
 * chunk, where closures made per range (and a loop left at each chunk's end) had the JIT
 * throw the walk away and compile it again about once per range (23 compiles, 0.22 s of
 * compiler CPU, over a 3M-event log on two workers).
 */
class RangeWalk {
  readonly #r: WalkRange;
  readonly #key: KeyObject;
  /** The seq of the next line. */
  #seq: number;
  /** Position in r.blocks of the block the next line belongs to. */
  #b = 0;
  #frontier = new MerkleFrontier();
  readonly #line = new LineCheck();
  // The prev the next line must have, as 64 hex bytes: the previous line's stored hash (once
  // checked against its content) where it is still in the buffer, else a copy of it.
  readonly #prevCopy: Buffer;
  #prevBuf: Buffer;
  #prevAt = 0;
  /** Where a line's hash goes after the last block (no tree). */
  readonly #noTree = Buffer.alloc(32);
  /** Bytes were left after the last newline. */
  partial = false;

  constructor(r: WalkRange, key: KeyObject) {
    this.#r = r;
    this.#key = key;
    this.#seq = r.seq;
    this.#prevCopy = this.#prevBuf = Buffer.from(r.prev, 'latin1');
  }

  /** Checks the lines buf[0, length) (whole lines; buf[0] is at file offset `offset`). */
  lines(buf: Buffer, length: number, offset: number): Problem | null {
    const line = this.#line;
    let seq = this.#seq;
    let prevBuf = this.#prevBuf;
    let prevAt = this.#prevAt;
    let h = this.#block();
    let frontier = this.#frontier;
    let problem: Problem | null = null;
    for (let s = 0; s < length; ) {
      const e = buf.indexOf(10, s);
      const ok = h ? line.check(buf, s, e, seq, prevBuf, prevAt, frontier.leafBuffer, frontier.leafOffset) : line.check(buf, s, e, seq, prevBuf, prevAt, this.#noTree, 0);
      if (!ok) {
        problem = { seq, message: `seq ${seq} (byte ${offset + s}): ${lineFault(buf, s, e, seq, prevBuf.toString('latin1', prevAt, prevAt + 64))}` };
        break;
      }
      prevBuf = buf;
      prevAt = e - HASH_FROM_END;
      if (h) {
        const end = offset + e + 1;
        frontier.pushWritten();
        if (seq === h.lastSeq) {
          problem = this.#endBlock(h, end, buf.toString('latin1', prevAt, prevAt + 64));
          if (problem) break;
          h = this.#block();
          frontier = this.#frontier;
        } else if (end >= h.byteOffset + h.byteLength) {
          problem = this.#blockProblem(`its byte range ends at ${h.byteOffset + h.byteLength} before its last seq ${h.lastSeq}`);
          break;
        }
      }
      seq++;
      s = e + 1;
    }
    this.#seq = seq;
    // The next chunk is read into the same buffer.
    prevBuf.copy(this.#prevCopy, 0, prevAt, prevAt + 64);
    this.#prevBuf = this.#prevCopy;
    this.#prevAt = 0;
    return problem;
  }

  /** Checks what block h says of its last line (ending at file offset `end`, hash `tip`), then starts the next block. */
  #endBlock(h: BlockHeader, end: number, tip: string): Problem | null {
    if (end !== h.byteOffset + h.byteLength) return this.#blockProblem(`its byte range ends at ${h.byteOffset + h.byteLength}, the line of seq ${h.lastSeq} at ${end}`);
    if (tip !== h.tip) return this.#blockProblem(`its tip is not the hash of seq ${h.lastSeq}`);
    if (this.#frontier.root() !== h.merkleRoot) return this.#blockProblem('its Merkle root does not match the events it covers');
    this.#b++;
    this.#frontier = new MerkleFrontier();
    return this.startBlock();
  }

  /** Checks the header of the block the next line starts, if any. */
  startBlock(): Problem | null {
    const r = this.#r;
    const b = this.#b;
    const bad = b < r.blocks.length ? headerProblem(r.blocks[b], this.#index(), b > 0 ? r.blocks[b - 1] : r.before, this.#key) : null;
    return bad ? this.#blockProblem(bad) : null;
  }

  /** After the last chunk: a block the range's lines did not complete. */
  finish(): Problem | null {
    const r = this.#r;
    const h = r.blocks[this.#b];
    if (!h) return null;
    if (r.end < r.fileSize) return this.#blockProblem(`its byte range ends at ${h.byteOffset + h.byteLength}, inside a line`);
    return { seq: this.#seq, block: this.#index(), message: `seq ${this.#seq} is missing: the log ends there but block ${this.#index()} covers up to seq ${h.lastSeq}` };
  }

  result(problem: Problem | null): WalkResult {
    return { lines: this.#seq - this.#r.seq, problem, torn: this.partial && this.#r.end === this.#r.fileSize };
  }

  /** The block the next line belongs to, if any (without reading past the array: a deopt). */
  #block(): BlockHeader | undefined {
    return this.#b < this.#r.blocks.length ? this.#r.blocks[this.#b] : undefined;
  }

  #index(): number {
    return (this.#r.before ? this.#r.before.index + 1 : 0) + this.#b;
  }

  #blockProblem(message: string): Problem {
    return { block: this.#index(), message: `block ${this.#index()}: ${message}` };
  }
}
