// The core of verify: walks a byte range of the log line by line (fixed-offset framing, seq,
// prev link, hash) and checks the blocks whose lines it holds (seal, links, byte range,
// tip, Merkle root). A range starts where a block starts, with the seq and prev the block
// before it claims; verify runs ranges in order or in parallel and takes the first problem.
import { closeSync, openSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { bodyHash, checkedLineHash, frameLine, GENESIS, HASH_FROM_END } from './line.ts';
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

/** What is wrong with a line that checkedLineHash refused, in words. */
function lineFault(buf: Buffer, s: number, e: number, seq: number, prev: string): string {
  const f = frameLine(buf, s, e);
  if (!f) return 'the line is not a log line (framing broken)';
  if (f.seq !== seq) return `found seq ${f.seq} where seq ${seq} belongs${f.seq > seq ? ` (seq ${seq} is missing or moved)` : ''}`;
  if (f.prev !== prev) return 'its prev does not match the hash of the line before';
  if (bodyHash(buf, s, f.bodyEnd) !== f.hash) return 'its hash does not match its content';
  throw new Error(`seq ${seq}: the fast line check and frameLine disagree`); // a bug, not a bad log
}

export function walkRange(path: string, r: WalkRange, key: KeyObject): WalkResult {
  const fd = openSync(path, 'r');
  try {
    return walk(fd, r, key);
  } finally {
    closeSync(fd);
  }
}

function walk(fd: number, r: WalkRange, key: KeyObject): WalkResult {
  let seq = r.seq;
  let prev = r.prev;
  let b = 0; // position in r.blocks of the block the next line belongs to
  let frontier = new MerkleFrontier();
  let partial = false;
  const index = () => (r.before ? r.before.index + 1 : 0) + b;
  const result = (problem: Problem | null): WalkResult => ({ lines: seq - r.seq, problem, torn: partial && r.end === r.fileSize });
  const blockProblem = (message: string) => result({ block: index(), message: `block ${index()}: ${message}` });
  const startBlock = () => (b < r.blocks.length ? headerProblem(r.blocks[b], index(), b > 0 ? r.blocks[b - 1] : r.before, key) : null);

  let bad = startBlock();
  if (bad) return blockProblem(bad);
  for (const { buf, length, offset } of lineChunks(fd, r.start, r.end, () => (partial = true))) {
    for (let s = 0; s < length; ) {
      const e = buf.indexOf(10, s);
      const lineHash = checkedLineHash(buf, s, e, seq, prev);
      if (lineHash === null) return result({ seq, message: `seq ${seq} (byte ${offset + s}): ${lineFault(buf, s, e, seq, prev)}` });
      const h = r.blocks[b];
      if (h) {
        const end = offset + e + 1;
        frontier.pushHexBytes(buf, e - HASH_FROM_END); // the stored hash, equal to lineHash
        if (seq === h.lastSeq) {
          if (end !== h.byteOffset + h.byteLength) return blockProblem(`its byte range ends at ${h.byteOffset + h.byteLength}, the line of seq ${seq} at ${end}`);
          if (lineHash !== h.tip) return blockProblem(`its tip is not the hash of seq ${seq}`);
          if (frontier.root() !== h.merkleRoot) return blockProblem('its Merkle root does not match the events it covers');
          b++;
          frontier = new MerkleFrontier();
          bad = startBlock();
          if (bad) return blockProblem(bad);
        } else if (end >= h.byteOffset + h.byteLength) {
          return blockProblem(`its byte range ends at ${h.byteOffset + h.byteLength} before its last seq ${h.lastSeq}`);
        }
      }
      prev = lineHash;
      seq++;
      s = e + 1;
    }
  }
  if (b < r.blocks.length) {
    const h = r.blocks[b];
    if (r.end < r.fileSize) return blockProblem(`its byte range ends at ${h.byteOffset + h.byteLength}, inside a line`);
    return result({ seq, block: index(), message: `seq ${seq} is missing: the log ends there but block ${index()} covers up to seq ${h.lastSeq}` });
  }
  return result(null);
}
