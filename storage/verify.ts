// `verify`: checks a data directory from scratch. Every line's framing, seq, prev link and
// hash; every header's seal (hash, signature), its links (index, previous block, first seq,
// byte offset) and what it names (last seq, byte length, tip, Merkle root); and every block
// snapshot against its header and the log. The log walk stops at the first problem and
// names it; snapshots are checked one by one after it.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { GENESIS } from './line.ts';
import { headerFile, listHeaderFiles, snapshotName, type BlockHeader } from './block-header.ts';
import { walkTaken, type Problem, type VerifyMessage, type VerifyTask, type WalkRange, type WalkResult } from './log-walk.ts';
import type { KeyObject } from 'node:crypto';
import { listSnapshots, type SnapshotEntry } from './backend.ts';
import { layout, NOT_EVIDENCE, readConfig, type Layout } from './layout.ts';
import { loadPublicKey } from './signing.ts';
import { publicKeyPath } from './init.ts';
import { lineStartBefore, seqAt } from './line-scan.ts';
import { extentMaps, unsharedRanges, type Extent } from './extents.ts';

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
  /** Threads for the log walk (this one and threads - 1 workers); default: one per CPU for logs of 64 MB or more, else 1. */
  threads?: number;
  /**
   * Bytes of whole blocks per worker task (default: the log over 4 × threads, within 8 to
   * 64 MB, so a worker slowed by other load holds up the end by one small task at most).
   */
  rangeBytes?: number;
}

export type { Problem };

const HEX64 = /^[0-9a-f]{64}$/;
const COUNT = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;

/** Types only; what the values mean is checked against the log and the signature. */
function wellFormed(h: BlockHeader): boolean {
  return (
    COUNT(h.index) && COUNT(h.firstSeq) && COUNT(h.lastSeq) && COUNT(h.byteOffset) && COUNT(h.byteLength) &&
    [h.prevBlockHash, h.tip, h.merkleRoot, h.hash].every((x) => typeof x === 'string' && HEX64.test(x)) &&
    typeof h.signature === 'string' && typeof h.time === 'string' && (h.model === null || typeof h.model === 'string')
  );
}

function loadHeaders(l: Layout, problems: Problem[]): BlockHeader[] {
  const headers: BlockHeader[] = [];
  for (const f of listHeaderFiles(l.blocks)) {
    if (f.index !== headers.length) {
      problems.push({ block: headers.length, message: `block ${headers.length}: header file ${headerFile(l.blocks, headers.length)} is missing` });
      break;
    }
    let h: BlockHeader;
    try {
      h = JSON.parse(readFileSync(f.path, 'utf8')) as BlockHeader;
    } catch (err) {
      problems.push({ block: f.index, message: `block ${f.index}: header is not valid JSON (${(err as Error).message})` });
      break;
    }
    if (!wellFormed(h)) {
      problems.push({ block: f.index, message: `block ${f.index}: header fields are missing or of the wrong type` });
      break;
    }
    headers.push(h);
  }
  return headers;
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

/** Reads files once each: the live copies that every snapshot's copy is compared with. */
type LiveFiles = Map<string, Buffer | null>;

function liveFile(live: LiveFiles, path: string): Buffer | null {
  if (!live.has(path)) live.set(path, existsSync(path) ? readFileSync(path) : null);
  return live.get(path)!;
}

/**
 * `extents` are the snapshot's log's and the live log's extent maps (null where unknown:
 * then every byte is compared).
 */
function checkSnapshot(l: Layout, s: SnapshotEntry, headers: BlockHeader[], logFd: number, extents: [Extent[] | null, Extent[] | null], live: LiveFiles): string | null {
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
    const diff = firstDifference(fd, logFd, unsharedRanges(extents[0], extents[1], end));
    if (diff >= 0) return `its events.jsonl differs from the log at byte ${diff} (seq ${seqAt(fd, lineStartBefore(fd, diff)) ?? '?'})`;
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
    const original = liveFile(live, join(l.dir, f));
    if (!original || !original.equals(readFileSync(join(s.path, f)))) return `${f} differs from the one in the data directory`;
  }
  return null;
}

/**
 * Checks each snapshot (`maps`: the extent maps of the live log, then of each snapshot's
 * log, in order) and adds what is wrong to `problems`; `rename` rewords a problem.
 */
async function checkSnapshots(l: Layout, snapshots: SnapshotEntry[], headers: BlockHeader[], maps: Promise<(Extent[] | null)[]>, problems: Problem[], rename = (m: string) => m): Promise<void> {
  const [liveMap, ...snapMaps] = await maps;
  const fd = openSync(l.log, 'r');
  const live: LiveFiles = new Map();
  try {
    snapshots.forEach((s, i) => {
      const problem = checkSnapshot(l, s, headers, fd, [snapMaps[i], liveMap], live);
      if (problem) problems.push({ block: s.index, snapshot: s.name, message: `snapshot ${s.name}: ${rename(problem)}` });
    });
  } finally {
    closeSync(fd);
  }
}

/** The extent maps checkSnapshots needs, started now (filefrag processes run beside the walk). */
function snapshotMaps(l: Layout, snapshots: SnapshotEntry[]): Promise<(Extent[] | null)[]> {
  return snapshots.length === 0 ? Promise.resolve([]) : extentMaps([l.log, ...snapshots.map((s) => join(s.path, 'events.jsonl'))]);
}

/** Splits the log into ranges of whole blocks of about `target` bytes, then the open tail. */
function planRanges(headers: BlockHeader[], fileSize: number, target: number): WalkRange[] {
  const ranges: WalkRange[] = [];
  const open = (i: number): WalkRange => {
    const before = headers[i - 1] ?? null;
    const start = before ? before.byteOffset + before.byteLength : 0;
    return { start, end: start, fileSize, seq: before ? before.lastSeq + 1 : 0, prev: before ? before.tip : GENESIS, blocks: [], before };
  };
  let r = open(0);
  headers.forEach((h, i) => {
    r.blocks.push(h);
    r.end = h.byteOffset + h.byteLength;
    if (r.end - r.start >= target || i === headers.length - 1) {
      ranges.push(r);
      r = open(i + 1);
    }
  });
  r.end = Math.max(fileSize, r.start);
  ranges.push(r);
  return ranges;
}

/**
 * Walks the ranges on this thread and threads - 1 workers. Each thread takes the next range
 * nobody has taken (a shared counter), so no thread waits for a message to get work, and
 * this thread starts at once while the workers load. A range with a problem stops the
 * taking: every range before it has been taken already and is finished, so the first bad
 * range (results[i] with a problem, i smallest) is found as in one thread; ranges after it
 * may be left out (no result).
 */
async function walkInThreads(path: string, ranges: WalkRange[], publicKey: string, key: KeyObject, threads: number): Promise<WalkResult[]> {
  const results: WalkResult[] = new Array(ranges.length);
  const next = new Int32Array(new SharedArrayBuffer(4));
  const workers = Array.from({ length: Math.min(threads, ranges.length) - 1 }, () => new Worker(new URL('./verify-worker.ts', import.meta.url), { workerData: { path, publicKey, ranges, next } satisfies VerifyTask }));
  try {
    const done = Promise.all(workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.on('message', (m: VerifyMessage) => {
            if ('result' in m) results[m.id] = m.result;
            else resolve();
          });
          w.on('error', reject);
          w.on('exit', () => reject(new Error('a verify worker stopped before it was done')));
        }),
    ));
    done.catch(() => {}); // a worker's failure is thrown below, once this thread's walk is over
    for (const [i, result] of walkTaken(path, ranges, next, key)) {
      results[i] = result;
      // Let the workers' results and the filefrag processes' output in between ranges.
      await new Promise(setImmediate);
    }
    await done;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

export async function verify(dir: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const l = layout(dir);
  if (existsSync(l.replica)) return verifyReplica(l, opts);
  readConfig(dir);
  const publicKey = (opts.publicKey ?? readFileSync(publicKeyPath(dir))).toString();
  const key = loadPublicKey(publicKey);
  const problems: Problem[] = [];
  const notes: string[] = [];
  const headers = loadHeaders(l, problems);
  const fileSize = statSync(l.log).size;
  const threads = opts.threads ?? (fileSize >= 64 << 20 ? availableParallelism() : 1);
  const ranges = planRanges(headers, fileSize, opts.rangeBytes ?? Math.max(8 << 20, Math.min(64 << 20, fileSize / (threads * 4))));
  // A snapshot made by a cut killed between its snapshot and its header is not checked:
  // the writer removes it at start.
  const snapshots = listSnapshots(l);
  const unfinished = snapshots.filter((s) => s.index === headers.length);
  const checked = snapshots.filter((s) => s.index !== headers.length);
  const maps = snapshotMaps(l, checked);

  // In order, the first range with a problem holds the first bad point: every range before
  // it checked out, so the seq and prev it assumed were right.
  const results = await walkInThreads(l.log, ranges, publicKey, key, threads);
  const firstBad = results.findIndex((w) => w?.problem);
  const walked = firstBad < 0 ? results : results.slice(0, firstBad + 1);
  const events = walked.reduce((n, w) => n + w.lines, 0);
  if (firstBad >= 0) problems.unshift(results[firstBad].problem!);
  // (Only when the walk reached the last range in order: with threads it may or may not have walked it past a problem.)
  if (walked.length === ranges.length && walked[ranges.length - 1].torn) notes.push('the last line is torn (incomplete); the writer cuts it off when it next starts');
  for (const s of unfinished) notes.push(`snapshot ${s.name} has no header yet: an unfinished cut, removed when the writer next starts`);

  await checkSnapshots(l, checked, headers, maps, problems);
  return { ok: problems.length === 0, events, bytes: firstBad < 0 ? fileSize : ranges[firstBad].start, blocks: headers.length, snapshots: snapshots.length, problems, notes };
}

/**
 * A replica (`ghostbridge replicate`) holds received block snapshots and their metadata, no
 * live log. Its newest snapshot is verified as a data directory (with the replica's public
 * key, or the pinned one), every older snapshot against it, and the replica's own metadata
 * must be the newest snapshot's.
 */
async function verifyReplica(l: Layout, opts: VerifyOptions): Promise<VerifyReport> {
  const snapshots = listSnapshots(l);
  const newest = snapshots.at(-1);
  if (!newest) return { ok: false, events: 0, bytes: 0, blocks: 0, snapshots: 0, problems: [{ message: `the replica ${l.dir} holds no block snapshot` }], notes: [] };
  const report = await verify(newest.path, { ...opts, publicKey: opts.publicKey ?? readFileSync(publicKeyPath(l.dir)) });
  const n = layout(newest.path);
  const older = snapshots.slice(0, -1);
  await checkSnapshots(n, older, loadHeaders(n, []), snapshotMaps(n, older), report.problems, (m) => m.replace('the data directory', newest.name));
  for (const f of filesUnder(l.metadata)) {
    const copy = join(l.metadata, f);
    const original = join(n.metadata, f);
    if (copy !== l.replica && !(existsSync(original) && readFileSync(original).equals(readFileSync(copy)))) {
      report.problems.push({ message: `the replica's metadata/${f} is not the one in ${newest.name}` });
    }
  }
  return { ...report, snapshots: snapshots.length, ok: report.problems.length === 0 };
}
