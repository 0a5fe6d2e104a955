// The embedded vector index: no server. All vectors sit in one contiguous Float32Array and a
// search is an exact scan (dot product of unit vectors = cosine) keeping the best k in a
// small heap; at 16 numbers a vector that is a few ms per query at 10^5 vectors (see
// BENCHMARKS.md). On disk, under <index>/ (never inside <data>):
//
//   vectors.bin  append-only records: seq (float64 LE) then `dimension` float32 LE
//   meta.json    {"format":1,"model":…,"dimension":…,"watermark":…}, replaced atomically
//   .lock        one writer at a time
//
// meta.json is the commit point: it is written only after the records it covers are
// fdatasynced. On open, a torn record at the end and any record beyond the watermark are
// cut off (the feeder indexes those events again from the log).
import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, write, writeFileSync } from 'node:fs';
import { open, rename, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { acquireLock, type Lock } from './lock.ts';
import { checkAdd, checkK, normalized, type IndexEntry, type IndexIdentity, type VectorHit, type VectorIndex } from './vector-index.ts';

const FORMAT = 1;
const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);
/** How long a new watermark may wait before it is made durable (ms); close() saves at once. */
const META_DELAY_MS = 1000;

interface Meta extends IndexIdentity {
  format: number;
  watermark: number;
}

function embeddedIndexFiles(dir: string) {
  return { vectors: join(dir, 'vectors.bin'), meta: join(dir, 'meta.json'), lock: join(dir, '.lock') };
}

export interface EmbeddedOptions extends IndexIdentity {
  dir: string;
  /** Start empty whatever the directory holds (a rebuild). */
  reset?: boolean;
}

export class EmbeddedIndex implements VectorIndex {
  readonly backend = 'embedded' as const;
  readonly model: string;
  readonly dimension: number;
  readonly repairs: string[] = [];
  #watermark = -1;
  #files: ReturnType<typeof embeddedIndexFiles>;
  #lock: Lock;
  #fd: number;
  #recordBytes: number;
  #count = 0;
  #seqs = new Float64Array(1024);
  #vectors: Float32Array;
  #metaTimer: NodeJS.Timeout | null = null;
  /** Adds and watermark saves, one at a time in call order. */
  #queue: Promise<void> = Promise.resolve();
  /** A failed background save of meta.json, reported by the next add(). */
  #failed: Error | null = null;
  #closed = false;

  constructor(opts: EmbeddedOptions) {
    this.model = opts.model;
    this.dimension = opts.dimension;
    if (!Number.isSafeInteger(opts.dimension) || opts.dimension < 1) throw new RangeError(`not a vector dimension: ${opts.dimension}`);
    this.#recordBytes = 8 + 4 * opts.dimension;
    this.#vectors = new Float32Array(1024 * opts.dimension);
    mkdirSync(opts.dir, { recursive: true });
    this.#files = embeddedIndexFiles(opts.dir);
    this.#lock = acquireLock(this.#files.lock);
    try {
      this.#fd = openSync(this.#files.vectors, 'a+');
      this.#load(opts);
    } catch (err) {
      this.#lock.release();
      throw err;
    }
  }

  get watermark(): number {
    return this.#watermark;
  }

  /** Loaded in the constructor. */
  async ready(): Promise<void> {}

  #load(opts: EmbeddedOptions): void {
    const meta = readMeta(this.#files.meta);
    const fits = meta !== null && meta.model === this.model && meta.dimension === this.dimension && meta.format === FORMAT;
    if (opts.reset) this.repairs.push('started empty (rebuild)');
    else if (meta && !fits) this.repairs.push(`the index held vectors of model ${meta.model} (dimension ${meta.dimension}); emptied for model ${this.model}`);
    let keep = 0;
    if (fits && !opts.reset) {
      this.#watermark = meta.watermark;
      keep = this.#readRecords();
    }
    const size = fstatSync(this.#fd).size;
    if (size !== keep) {
      if (fits && !opts.reset) this.repairs.push(`cut ${size - keep} bytes of vectors.bin not covered by the watermark`);
      ftruncateSync(this.#fd, keep);
      fdatasyncSync(this.#fd);
    }
    if (!fits || opts.reset) this.#saveMetaSync();
  }

  /** Loads whole records up to the watermark; returns the byte length they fill. */
  #readRecords(): number {
    const size = fstatSync(this.#fd).size;
    const whole = size - (size % this.#recordBytes);
    const buf = Buffer.allocUnsafe(whole);
    for (let off = 0; off < whole; ) off += readSync(this.#fd, buf, off, whole - off, off);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const d = this.dimension;
    let last = -1;
    let off = 0;
    for (; off < whole; off += this.#recordBytes) {
      const seq = view.getFloat64(off, true);
      if (!Number.isSafeInteger(seq) || seq <= last || seq > this.#watermark) break;
      const row = this.#grow();
      this.#seqs[row] = seq;
      for (let i = 0; i < d; i++) this.#vectors[row * d + i] = view.getFloat32(off + 8 + 4 * i, true);
      last = seq;
    }
    return off;
  }

  /** Makes room for one more row; returns its number. */
  #grow(): number {
    if (this.#count === this.#seqs.length) {
      const seqs = new Float64Array(this.#seqs.length * 2);
      seqs.set(this.#seqs);
      this.#seqs = seqs;
      const vectors = new Float32Array(this.#vectors.length * 2);
      vectors.set(this.#vectors);
      this.#vectors = vectors;
    }
    return this.#count++;
  }

  /**
   * Queued behind earlier adds and saves, so records reach the file in seq order and a saved
   * watermark never covers records not yet written. The file I/O runs on libuv's threads:
   * `run` feeds the index from the controller's thread, which a write or fdatasync stuck
   * behind a busy disk must not stall. An add made before close() is written (close waits
   * for the queue); one made after it is refused at once.
   */
  add(entries: readonly IndexEntry[], upTo: number): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the vector index is closed'));
    return this.#enqueue(() => this.#add(entries, upTo));
  }

  async #add(entries: readonly IndexEntry[], upTo: number): Promise<void> {
    if (this.#failed) throw new Error(`saving the index watermark failed: ${this.#failed.message}`);
    checkAdd(this, entries, upTo);
    const d = this.dimension;
    const rows = entries.map((e) => normalized(e.vector, d));
    const buf = Buffer.allocUnsafe(entries.length * this.#recordBytes);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    entries.forEach((e, n) => {
      const off = n * this.#recordBytes;
      view.setFloat64(off, e.seq, true);
      for (let i = 0; i < d; i++) view.setFloat32(off + 8 + 4 * i, rows[n]![i]!, true);
    });
    for (let off = 0; off < buf.length; ) off += (await writeAsync(this.#fd, buf, off, buf.length - off)).bytesWritten;
    entries.forEach((e, n) => {
      const row = this.#grow();
      this.#seqs[row] = e.seq;
      this.#vectors.set(rows[n]!, row * d);
    });
    this.#watermark = upTo;
    this.#metaTimer ??= setTimeout(() => {
      this.#metaTimer = null;
      if (!this.#closed) this.#enqueue(() => this.#saveMeta()).catch((err: Error) => (this.#failed = err));
    }, META_DELAY_MS).unref();
  }

  #enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => {});
    return run;
  }

  async search(vector: Float32Array, k: number, opts: { exclude?: number } = {}): Promise<VectorHit[]> {
    checkK(k);
    return this.#scan(normalized(vector, this.dimension), k, opts.exclude ?? -1);
  }

  /** Exact top-k: a min-heap of the best k so far, its root the worst of them. */
  #scan(q: Float32Array, k: number, exclude: number): VectorHit[] {
    const d = this.dimension;
    const v = this.#vectors;
    const seqs = this.#seqs;
    const heapScore = new Float64Array(k);
    const heapRow = new Int32Array(k);
    let size = 0;
    for (let row = 0, base = 0; row < this.#count; row++, base += d) {
      let s = 0;
      for (let i = 0; i < d; i++) s += q[i]! * v[base + i]!;
      if (size === k && s <= heapScore[0]!) continue;
      if (seqs[row] === exclude) continue;
      if (size < k) {
        // Sift up.
        let i = size++;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (heapScore[p]! <= s) break;
          heapScore[i] = heapScore[p]!;
          heapRow[i] = heapRow[p]!;
          i = p;
        }
        heapScore[i] = s;
        heapRow[i] = row;
      } else {
        // Replace the root and sift down.
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= k) break;
          const c = l + 1 < k && heapScore[l + 1]! < heapScore[l]! ? l + 1 : l;
          if (heapScore[c]! >= s) break;
          heapScore[i] = heapScore[c]!;
          heapRow[i] = heapRow[c]!;
          i = c;
        }
        heapScore[i] = s;
        heapRow[i] = row;
      }
    }
    const hits: VectorHit[] = [];
    for (let i = 0; i < size; i++) hits.push({ seq: seqs[heapRow[i]!]!, score: heapScore[i]! });
    // Best first; equal scores by seq, so results do not depend on heap order.
    return hits.sort((a, b) => b.score - a.score || a.seq - b.seq);
  }

  async vectorOf(seq: number): Promise<Float32Array | undefined> {
    // Rows are in ascending seq order: binary search.
    let lo = 0;
    let hi = this.#count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.#seqs[mid]!;
      if (s === seq) return this.#vectors.slice(mid * this.dimension, (mid + 1) * this.dimension);
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  async count(): Promise<number> {
    return this.#count;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#metaTimer) clearTimeout(this.#metaTimer);
    try {
      await this.#queue;
      await this.#saveMeta();
    } finally {
      closeSync(this.#fd);
      this.#lock.release();
    }
  }

  /** Records first (fdatasync), then the watermark that covers them (atomic rename). */
  async #saveMeta(): Promise<void> {
    await fdatasyncAsync(this.#fd);
    const tmp = `${this.#files.meta}.tmp`;
    await writeFile(tmp, this.#metaText());
    const file = await open(tmp, 'r');
    try {
      await file.datasync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.#files.meta);
  }

  /** #saveMeta at open, before anything is queued. */
  #saveMetaSync(): void {
    fdatasyncSync(this.#fd);
    const tmp = `${this.#files.meta}.tmp`;
    writeFileSync(tmp, this.#metaText());
    const fd = openSync(tmp, 'r');
    try {
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.#files.meta);
  }

  #metaText(): string {
    const meta: Meta = { format: FORMAT, model: this.model, dimension: this.dimension, watermark: this.#watermark };
    return JSON.stringify(meta) + '\n';
  }
}

function readMeta(path: string): Meta | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const m = JSON.parse(text) as Meta;
    if (typeof m.model === 'string' && Number.isSafeInteger(m.dimension) && Number.isSafeInteger(m.watermark)) return m;
  } catch {
    // fall through: an unreadable meta.json means an empty index, rebuilt from the log
  }
  return null;
}

export function openEmbeddedIndex(opts: EmbeddedOptions): EmbeddedIndex {
  return new EmbeddedIndex(opts);
}
