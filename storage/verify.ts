// `verify`: checks a data directory from scratch. Every line's framing, seq, prev link and
// hash; every header's seal (hash, signature), its links (index, previous block, first seq,
// byte offset) and what it names (last seq, byte length, tip, Merkle root); and every block
// snapshot against its header and the log. The log walk stops at the first problem and
// names it; snapshots are checked one by one after it.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { bodyHash, frameLine, GENESIS } from './line.ts';
import { lineChunks } from './line-scan.ts';
import { MerkleFrontier } from './merkle.ts';
import { headerFile, headerSealProblem, listHeaderFiles, snapshotName, type BlockHeader } from './block-header.ts';
import { listSnapshots, type SnapshotEntry } from './backend.ts';
import { layout, NOT_EVIDENCE, readConfig, type Layout } from './layout.ts';
import { loadPublicKey } from './signing.ts';
import { publicKeyPath } from './init.ts';
import { seqAt } from './recover.ts';
import { fileExtents, unsharedRanges } from './extents.ts';

export interface Problem {
  /** The first bad (or missing) seq, when the problem is in the log. */
  seq?: number;
  /** The block whose header or snapshot is wrong. */
  block?: number;
  snapshot?: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  events: number;
  bytes: number;
  blocks: number;
  snapshots: number;
  /** In the order found: the first is the first bad point of the log. */
  problems: Problem[];
  /** Not a failure: e.g. a torn last line that the writer repairs when it next starts. */
  notes: string[];
}

export interface VerifyOptions {
  /** A public key (PEM) to trust instead of the one published in <data>/metadata. */
  publicKey?: string | Buffer;
}

function loadHeaders(l: Layout, problems: Problem[]): BlockHeader[] {
  const headers: BlockHeader[] = [];
  for (const f of listHeaderFiles(l.blocks)) {
    if (f.index !== headers.length) {
      problems.push({ block: headers.length, message: `block ${headers.length}: header file ${headerFile(l.blocks, headers.length)} is missing` });
      break;
    }
    try {
      headers.push(JSON.parse(readFileSync(f.path, 'utf8')) as BlockHeader);
    } catch (err) {
      problems.push({ block: f.index, message: `block ${f.index}: header is not valid JSON (${(err as Error).message})` });
      break;
    }
  }
  return headers;
}

/** Checks of a header that do not need the log: seal and links to the previous block. */
function headerProblem(h: BlockHeader, i: number, prev: BlockHeader | undefined, key: KeyObject): string | null {
  if (h.index !== i) return `its index is ${h.index}`;
  const seal = headerSealProblem(h, key);
  if (seal) return seal;
  const prevHash = prev ? prev.hash : GENESIS;
  if (h.prevBlockHash !== prevHash) return 'its previous block hash does not match the previous header';
  if (h.firstSeq !== (prev ? prev.lastSeq + 1 : 0)) return `its first seq ${h.firstSeq} does not follow the previous block`;
  if (h.byteOffset !== (prev ? prev.byteOffset + prev.byteLength : 0)) return `its byte offset ${h.byteOffset} does not follow the previous block`;
  if (!(h.lastSeq >= h.firstSeq) || !(h.byteLength > 0)) return 'it covers no events';
  return null;
}

interface LogWalk {
  events: number;
  bytes: number;
  problem: Problem | null;
  torn: boolean;
}

function walkLog(fd: number, size: number, headers: BlockHeader[], key: KeyObject): LogWalk {
  let seq = 0;
  let prev = GENESIS;
  let b = 0; // the block the next line belongs to
  let frontier = new MerkleFrontier();
  let torn = false;
  const blockProblem = (message: string): LogWalk => ({ events: seq, bytes: 0, torn, problem: { block: b, message: `block ${b}: ${message}` } });
  const startBlock = (): string | null => (b < headers.length ? headerProblem(headers[b], b, headers[b - 1], key) : null);

  let bad = startBlock();
  if (bad) return blockProblem(bad);
  for (const { buf, length, offset } of lineChunks(fd, 0, size, () => (torn = true))) {
    for (let s = 0; s < length; ) {
      const e = buf.indexOf(10, s);
      const f = frameLine(buf, s, e);
      let message: string | null = null;
      if (!f) message = 'the line is not a log line (framing broken)';
      else if (f.seq !== seq) message = `found seq ${f.seq} where seq ${seq} belongs${f.seq > seq ? ` (seq ${seq} is missing or moved)` : ''}`;
      else if (f.prev !== prev) message = 'its prev does not match the hash of the line before';
      else if (bodyHash(buf, s, f.bodyEnd) !== f.hash) message = 'its hash does not match its content';
      if (message) return { events: seq, bytes: offset + s, torn, problem: { seq, message: `seq ${seq} (byte ${offset + s}): ${message}` } };
      const h = headers[b];
      if (h) {
        const end = offset + e + 1;
        frontier.push(f!.hash);
        if (seq === h.lastSeq) {
          if (end !== h.byteOffset + h.byteLength) return blockProblem(`its byte range ends at ${h.byteOffset + h.byteLength}, the line of seq ${seq} at ${end}`);
          if (f!.hash !== h.tip) return blockProblem(`its tip is not the hash of seq ${seq}`);
          if (frontier.root() !== h.merkleRoot) return blockProblem('its Merkle root does not match the events it covers');
          b++;
          frontier = new MerkleFrontier();
          bad = startBlock();
          if (bad) return blockProblem(bad);
        } else if (end >= h.byteOffset + h.byteLength) {
          return blockProblem(`its byte range ends at ${h.byteOffset + h.byteLength} before its last seq ${h.lastSeq}`);
        }
      }
      prev = f!.hash;
      seq++;
      s = e + 1;
    }
  }
  if (b < headers.length) {
    return { events: seq, bytes: size, torn, problem: { seq, block: b, message: `seq ${seq} is missing: the log ends there but block ${b} covers up to seq ${headers[b].lastSeq}` } };
  }
  return { events: seq, bytes: size, torn, problem: null };
}

/** Every regular file under `dir`, as paths relative to it. */
function filesUnder(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p, base));
    else out.push(relative(base, p));
  }
  return out;
}

/** First offset within the ranges where two files differ, or -1. */
function firstDifference(a: number, b: number, ranges: [number, number][]): number {
  const x = Buffer.allocUnsafe(1 << 22);
  const y = Buffer.allocUnsafe(1 << 22);
  for (const [start, end] of ranges) {
    for (let off = start; off < end; ) {
      const n = Math.min(x.length, end - off);
      const na = readSync(a, x, 0, n, off);
      const nb = readSync(b, y, 0, n, off);
      if (na !== n || nb !== n || x.compare(y, 0, n, 0, n) !== 0) {
        for (let i = 0; i < n; i++) if (i >= na || i >= nb || x[i] !== y[i]) return off + i;
      }
      off += n;
    }
  }
  return -1;
}

/** The seq of the line holding byte `at` of the log. */
function seqOfByte(fd: number, at: number): number | null {
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (let end = at; end > 0; ) {
    const start = Math.max(0, end - buf.length);
    readSync(fd, buf, 0, end - start, start);
    const i = buf.subarray(0, end - start).lastIndexOf(10);
    if (i >= 0) return seqAt(fd, start + i + 1);
    end = start;
  }
  return seqAt(fd, 0);
}

function checkSnapshot(l: Layout, s: SnapshotEntry, headers: BlockHeader[], logFd: number): string | null {
  const h = headers[s.index];
  if (!h || snapshotName(h) !== s.name) return 'no header names this snapshot';
  const snapLog = join(s.path, 'events.jsonl');
  if (!existsSync(snapLog)) return 'its events.jsonl is missing';
  const end = h.byteOffset + h.byteLength;
  const fd = openSync(snapLog, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size !== end) return `its events.jsonl has ${size} bytes, the header covers ${end}`;
    // Only the bytes the snapshot does not share on disk with the live log need reading.
    const diff = firstDifference(fd, logFd, unsharedRanges(fileExtents(snapLog), fileExtents(l.log), end));
    if (diff >= 0) return `its events.jsonl differs from the log at byte ${diff} (seq ${seqOfByte(fd, diff) ?? '?'})`;
  } finally {
    closeSync(fd);
  }
  // Everything else in <data> is written once under its own name (config, public key,
  // headers), so the snapshot's copy must equal the live one, and hold headers 0..N (a
  // block's header is written just before its snapshot is taken).
  const present = new Set(filesUnder(s.path).filter((f) => f !== 'events.jsonl' && !NOT_EVIDENCE.has(f)));
  for (let i = 0; i <= s.index; i++) {
    const want = relative(l.dir, headerFile(l.blocks, i));
    if (!present.has(want)) return `${want} is missing from it`;
  }
  for (const f of present) {
    const live = join(l.dir, f);
    if (!existsSync(live) || !readFileSync(live).equals(readFileSync(join(s.path, f)))) return `${f} differs from the one in the data directory`;
  }
  return null;
}

export function verify(dir: string, opts: VerifyOptions = {}): VerifyReport {
  const l = layout(dir);
  readConfig(dir);
  const key = loadPublicKey(opts.publicKey ?? readFileSync(publicKeyPath(dir)));
  const problems: Problem[] = [];
  const notes: string[] = [];
  const headers = loadHeaders(l, problems);
  const fd = openSync(l.log, 'r');
  try {
    const walk = walkLog(fd, fstatSync(fd).size, headers, key);
    if (walk.problem) problems.unshift(walk.problem);
    if (walk.torn) notes.push('the last line is torn (incomplete); the writer cuts it off when it next starts');
    const snapshots = listSnapshots(l);
    for (const s of snapshots) {
      if (s.index === headers.length) {
        // A cut killed between its snapshot and its header; the writer removes it at start.
        notes.push(`snapshot ${s.name} has no header yet: an unfinished cut, removed when the writer next starts`);
        continue;
      }
      const problem = checkSnapshot(l, s, headers, fd);
      if (problem) problems.push({ block: s.index, snapshot: s.name, message: `snapshot ${s.name}: ${problem}` });
    }
    return { ok: problems.length === 0, events: walk.events, bytes: walk.bytes, blocks: headers.length, snapshots: snapshots.length, problems, notes };
  } finally {
    closeSync(fd);
  }
}

