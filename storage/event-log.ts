// The writer of events.jsonl. One per <data> (a lock file refuses a second). Appends are
// encoded and chained at once, in call order, then written in groups: while one write(2)
// is in flight, everything appended meanwhile waits and goes out in the next single write
// (group commit). Block cuts run in the same queue as writes, so a cut always falls
// between two batches.
import { closeSync, fdatasync, mkdirSync, openSync, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import type { KeyObject } from 'node:crypto';
import { eventJson, LineBuffer } from './line.ts';
import { MerkleFrontier } from './merkle.ts';
import type { SparseIndex } from './sparse-index.ts';
import { acquireLock, type Lock } from './lock.ts';
import { layout, readConfig, type Layout } from './layout.ts';
import { recover, type RecoveredState } from './recover.ts';
import { backendFor, type BlockBackend } from './backend.ts';
import { signHeader, writeHeader, type BlockHeader } from './block-header.ts';
import { loadSigningKey } from './signing.ts';
import { LogReader, type LogRecord } from './log-reader.ts';
import { defaultKeyPath } from './init.ts';
import { LogCompactor } from './log-compaction.ts';

const writeAsync = promisify(write);
/** Batches up to this many bytes may be written from the writer's thread (see #quiet). */
const SMALL_WRITE = 64 << 10;
const fdatasyncAsync = promisify(fdatasync);

export type Durability = 'batch' | 'fsync';

export interface BlockOptions {
  /** Cut a block every this many ms (0 or absent: no timer). */
  everyMs?: number;
  /** Cut a block once this many events are in the open block. */
  everyEvents?: number;
  /** btrfs: how many block snapshots to keep, at least 1 (older ones are deleted; headers stay). */
  keepSnapshots?: number;
  /**
   * btrfs: merge the log's newest small extents now and then, off the cut path, so cuts stay
   * fast as they accumulate (log-compaction.ts). Default true.
   */
  compactLog?: boolean;
}

export interface OpenOptions {
  dir: string;
  durability?: Durability;
  /** batch durability: how long written data may wait for its fsync (ms). */
  fsyncIntervalMs?: number;
  /** The Ed25519 private key file; defaults to the one `init` created beside <data>. */
  keyFile?: string;
  /** The vectorizer model id recorded in block headers (null until there is a model). */
  model?: string | null;
  blocks?: BlockOptions;
  /** Receives errors of timer-driven work no caller awaits that fail the log (cuts, fsyncs). */
  onError?: (err: Error) => void;
  /**
   * Receives failures of background work the log goes on without: retention's snapshot
   * deletions and syncs, and the compaction of the log (which stops after its first failure).
   */
  onWarning?: (err: Error) => void;
}

/** How long the last block cut took, in ms (see cutBlock). */
export interface CutTiming {
  /** From the cut's request to its header and snapshot being durable. */
  totalMs: number;
  /** The part of it during which appended events were held back from the file. */
  heldMs: number;
}

/** What the log's compaction did since open (btrfs). */
export interface CompactionStats {
  defrags: number;
  /** Bytes rewritten. */
  bytes: number;
  /** The defrag that failed, after which compaction stopped (the log goes on without it). */
  error: Error | null;
}

export interface AppendResult {
  firstSeq: number;
  lastSeq: number;
}

interface Waiter extends AppendResult {
  resolve: (r: AppendResult) => void;
  reject: (e: Error) => void;
}

export class LogFailedError extends Error {
  constructor(cause: Error) {
    super(`the event log stopped after an error and must be reopened: ${cause.message}`, { cause });
    this.name = 'LogFailedError';
  }
}

export class EventLog {
  readonly dir: string;
  readonly durability: Durability;
  /** What start-up repaired (a torn line, an interrupted cut), in words. */
  readonly repairs: string[];
  /** The vectorizer model id the next block header records. */
  model: string | null;

  #l: Layout;
  #lock: Lock;
  #fd: number;
  #indexFd: number;
  #index: SparseIndex;
  #reader: LogReader;
  #backend: BlockBackend;
  #key: KeyObject | null;
  #keyFile: string;
  #opts: OpenOptions;

  #written: number; // bytes of the file that hold complete, written lines
  #end: number; // bytes including lines encoded but not yet written
  #nextSeq: number;
  #tip: string;
  #writtenSeq: number;
  #durableSeq: number;
  #pending = new LineBuffer();
  #waiters: Waiter[] = [];

  #frontier: MerkleFrontier;
  /** The last block cut; the open block starts where it ends (seq 0, byte 0 without one). */
  #lastHeader: BlockHeader | null;

  #queue: Promise<unknown> = Promise.resolve();
  #lastCutTiming: CutTiming | null = null;
  /** Cuts requested and not finished: their snapshot commits will make the writes durable. */
  #cutsPending = 0;
  #flushQueued = false;
  #cutQueued = false;
  #syncTimer: NodeJS.Timeout | null = null;
  #syncing: Promise<number> | null = null;
  #cutTimer: NodeJS.Timeout | null = null;
  /** Retention's deletions (and filesystem syncs) in flight or queued; null when none are. */
  #retention: Promise<void> | null = null;
  #compactor: LogCompactor | null;
  #failed: Error | null = null;
  #closed = false;

  private constructor(opts: OpenOptions, l: Layout, lock: Lock, fd: number, backend: BlockBackend, state: RecoveredState) {
    this.dir = opts.dir;
    this.durability = opts.durability ?? 'batch';
    this.repairs = state.repairs;
    this.model = opts.model ?? null;
    this.#opts = opts;
    this.#l = l;
    this.#lock = lock;
    this.#fd = fd;
    this.#backend = backend;
    this.#keyFile = opts.keyFile ?? defaultKeyPath(opts.dir);
    this.#key = null;
    this.#index = state.index;
    this.#indexFd = state.indexFd;
    this.#written = this.#end = state.size;
    this.#nextSeq = state.nextSeq;
    this.#tip = state.tip;
    this.#writtenSeq = this.#durableSeq = state.nextSeq - 1;
    this.#frontier = state.frontier;
    this.#lastHeader = state.lastHeader;
    this.#reader = new LogReader(fd, this.#index, () => this.#written);
    const defrag = backend.defragLog;
    this.#compactor = defrag && opts.blocks?.compactLog !== false
      ? new LogCompactor((start, length, threshold) => defrag(start, length, threshold).catch((err: Error) => {
          opts.onWarning?.(new Error(`log compaction stopped: ${err.message}`));
          throw err;
        }), state.size)
      : null;
    const everyMs = opts.blocks?.everyMs ?? 0;
    if (everyMs > 0) {
      this.#cutTimer = setInterval(() => {
        if (this.#frontier.size > 0) this.#queueCut();
      }, everyMs);
      this.#cutTimer.unref();
    }
  }

  /** Opens <data> for writing: takes the lock, repairs, recovers the tip and seq. */
  static async open(opts: OpenOptions): Promise<EventLog> {
    const l = layout(opts.dir);
    const config = readConfig(opts.dir);
    const lock = acquireLock(l.lock);
    let fd: number | null = null;
    const backend = backendFor(config.backend, l);
    try {
      mkdirSync(l.blocks, { recursive: true });
      fd = openSync(l.log, 'a+');
      const state = await recover(l, fd, backend);
      return new EventLog(opts, l, lock, fd, backend, state);
    } catch (err) {
      if (fd !== null) closeSync(fd);
      backend.close();
      lock.release();
      throw err;
    }
  }

  /** The seq the next event gets. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** The last seq written to the file (write(2) done); -1 if none. */
  get writtenSeq(): number {
    return this.#writtenSeq;
  }

  /** The last seq covered by a finished fsync; -1 if none. */
  get durableSeq(): number {
    return this.#durableSeq;
  }

  get lastBlock(): BlockHeader | null {
    return this.#lastHeader;
  }

  get lastCutTiming(): CutTiming | null {
    return this.#lastCutTiming;
  }

  /** btrfs with compaction on: what it did so far; otherwise null. */
  get compaction(): CompactionStats | null {
    const c = this.#compactor;
    return c && { ...c.done, error: c.error };
  }

  /**
   * Appends events (plain JSON objects; the log adds seq, prev and hash). Resolves once
   * they are written (batch durability) or fsynced (fsync durability). Invalid input
   * rejects the whole call and appends nothing.
   */
  append(events: object[]): Promise<AppendResult> {
    if (!Array.isArray(events) || events.length === 0) return Promise.reject(new TypeError('append needs a non-empty array of events'));
    const jsons: string[] = new Array(events.length);
    const times: unknown[] = new Array(events.length);
    try {
      for (let i = 0; i < events.length; i++) {
        jsons[i] = eventJson(events[i]);
        times[i] = (events[i] as Record<string, unknown>)['@timestamp'];
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#appendJsons(jsons, times);
  }

  /**
   * Appends events given as JSON text, for a caller that serialises events itself: each
   * `jsons[i]` must be exactly what JSON.stringify gives for a plain object event without
   * `seq`, `prev` or `hash` members (what `append` checks with eventJson), and
   * `timestamps[i]` that event's `@timestamp` (for the sparse time index). The caller vouches
   * for that: only cheap checks are made here (equal non-empty arrays, text that opens with
   * `{`, ends with `}` and holds no newline, which would break the line framing). Text that
   * breaks the contract (invalid JSON, a member named seq, prev or hash) is logged as given,
   * hashed and chained, so `verify` passes, but readers would fail on or misread that line
   * forever. For valid input the bytes written are the same as `append` of the equivalent
   * objects.
   */
  appendJson(jsons: readonly string[], timestamps: readonly string[]): Promise<AppendResult> {
    if (!Array.isArray(jsons) || jsons.length === 0) return Promise.reject(new TypeError('appendJson needs a non-empty array of event JSON texts'));
    if (!Array.isArray(timestamps) || timestamps.length !== jsons.length) {
      return Promise.reject(new TypeError(`appendJson needs one timestamp per event (${jsons.length} events)`));
    }
    for (let i = 0; i < jsons.length; i++) {
      const j = jsons[i];
      if (typeof j !== 'string' || j.charCodeAt(0) !== 0x7b || j.charCodeAt(j.length - 1) !== 0x7d || j.indexOf('\n') >= 0) {
        return Promise.reject(new TypeError(`appendJson: event ${i} is not the JSON text of one object on one line`));
      }
    }
    return this.#appendJsons(jsons, timestamps);
  }

  /** Encodes, chains and queues checked event JSON; `times` are the events' `@timestamp` values. */
  #appendJsons(jsons: readonly string[], times: readonly unknown[]): Promise<AppendResult> {
    if (this.#failed) return Promise.reject(new LogFailedError(this.#failed));
    if (this.#closed) return Promise.reject(new Error('the event log is closed'));
    const firstSeq = this.#nextSeq;
    let seq = firstSeq;
    let prev = this.#tip;
    const pending = this.#pending;
    const base = this.#end - pending.length; // the file offset of pending's first byte
    for (let i = 0; i < jsons.length; i++, seq++) {
      this.#index.note(seq, base + pending.length, times[i]);
      prev = pending.append(seq, prev, jsons[i]);
      this.#frontier.push(prev);
    }
    this.#tip = prev;
    this.#nextSeq = seq;
    this.#end = base + pending.length;
    const result = new Promise<AppendResult>((resolve, reject) => {
      this.#waiters.push({ firstSeq, lastSeq: seq - 1, resolve, reject });
    });
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      this.#enqueue(() => {
        this.#flushQueued = false;
        return this.#writeBatch();
      }).catch(() => {}); // the waiters carry the error
    }
    const everyEvents = this.#opts.blocks?.everyEvents ?? 0;
    if (everyEvents > 0 && this.#frontier.size >= everyEvents) this.#queueCut();
    return result;
  }

  /** Makes everything appended so far durable; resolves with the durable seq. */
  async sync(): Promise<number> {
    await this.#enqueue(async () => {});
    return this.#fsync();
  }

  /**
   * Cuts a block over the events appended up to the moment the cut starts: writes them,
   * then writes the signed header and takes the snapshot (btrfs, durable through the
   * snapshot's commit), or fsyncs and writes the header durably (directory). Resolves with
   * the header, or null when no event is waiting for a block. lastCutTiming then tells how
   * long it took, and how long appends were held.
   */
  cutBlock(opts: { model?: string | null } = {}): Promise<BlockHeader | null> {
    if (this.#failed) return Promise.reject(new LogFailedError(this.#failed));
    if (this.#closed) return Promise.reject(new Error('the event log is closed'));
    return this.#timedCut(opts.model === undefined ? this.model : opts.model);
  }

  // Reads (they see written lines only).
  get(seq: number): Promise<LogRecord | undefined> {
    return this.#reader.get(seq);
  }

  from(seq: number): AsyncGenerator<LogRecord> {
    return this.#reader.from(seq);
  }

  byTime(from: number | Date, to: number | Date): AsyncGenerator<LogRecord> {
    return this.#reader.byTime(from, to);
  }

  /** Writes what is pending, fsyncs, and releases the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#cutTimer) clearInterval(this.#cutTimer);
    this.#cancelSyncTimer();
    try {
      await this.#queue;
      await this.#retention;
      await this.#compactor?.close();
      if (!this.#failed) await this.#fsync();
      else await this.#syncing?.catch(() => {});
    } finally {
      closeSync(this.#fd);
      closeSync(this.#indexFd);
      this.#backend.close();
      this.#lock.release();
    }
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => {});
    return run;
  }

  #queueCut(): void {
    if (this.#cutQueued || this.#failed || this.#closed) return;
    this.#cutQueued = true;
    this.#timedCut(this.model, () => (this.#cutQueued = false)).catch((err) => this.#opts.onError?.(err));
  }

  /**
   * Runs a cut in the queue, holding appends back until it is done, and notes its timing:
   * from the request (a cut may wait for a batch write in flight) and from when it held.
   */
  #timedCut(model: string | null, onStart?: () => void): Promise<BlockHeader | null> {
    const requested = performance.now();
    this.#cutsPending++;
    return this.#enqueue(async () => {
      onStart?.();
      const held = performance.now();
      try {
        const header = await this.#cut(model);
        const done = performance.now();
        if (header) this.#lastCutTiming = { totalMs: done - requested, heldMs: done - held };
        return header;
      } finally {
        this.#cutDone();
      }
    });
  }

  /** Takes what is pending now (synchronously) and writes it; the flush step of a queue op. */
  async #writeBatch(): Promise<void> {
    const waiters = this.#waiters;
    if (this.#pending.length === 0) return;
    const buf = this.#pending.take();
    this.#waiters = [];
    try {
      if (this.#quiet() && buf.length <= SMALL_WRITE) {
        for (let off = 0; off < buf.length; ) off += writeSync(this.#fd, buf, off, buf.length - off, null);
      } else {
        for (let off = 0; off < buf.length; ) {
          off += (await writeAsync(this.#fd, buf, off, buf.length - off, null)).bytesWritten;
        }
      }
      this.#written += buf.length;
      this.#writtenSeq = waiters[waiters.length - 1].lastSeq;
      this.#index.save(this.#indexFd, this.#written);
      if (this.durability === 'fsync') await this.#fsync();
      else this.#scheduleSync();
    } catch (err) {
      this.#fail(err as Error, waiters);
      throw err;
    }
    for (const w of waiters) w.resolve({ firstSeq: w.firstSeq, lastSeq: w.lastSeq });
  }

  /**
   * Nothing of ours is working on the log's file or filesystem: no fdatasync, cut, retention
   * or compaction in flight, so a small write(2) only copies into the page cache. Such a batch
   * is written from this thread: a hop to libuv's pool and back costs more than the copy
   * (`run --no-pipeline-thread`, one packet-in outstanding: p50 212–230 → 125–136 µs, p99
   * 876–989 → 461–497 µs). With any of them in flight the write may wait on the inode or on a
   * transaction commit, so it goes to the pool, where it holds up only the log's queue.
   */
  #quiet(): boolean {
    return this.#syncing === null && this.#cutsPending === 0 && this.#retention === null && !this.#compactor?.busy;
  }

  /** The end of a cut: batch writes made while it was pending get their timer fsync again. */
  #cutDone(): void {
    if (--this.#cutsPending === 0 && this.#writtenSeq > this.#durableSeq) this.#scheduleSync();
  }

  #cancelSyncTimer(): void {
    if (this.#syncTimer) clearTimeout(this.#syncTimer);
    this.#syncTimer = null;
  }

  #scheduleSync(): void {
    // close() does the last fsync itself. While a cut is pending (waiting for its turn in
    // the queue, or committing its snapshot) its commit will make what is written durable,
    // and an fdatasync in flight when it starts would hold appends up for that much longer.
    if (this.#syncTimer || this.#closed || this.#cutsPending > 0) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = null;
      this.#fsync().catch((err) => this.#opts.onError?.(err));
    }, this.#opts.fsyncIntervalMs ?? 5);
  }

  /** fdatasync; concurrent callers share one call when it already covers them. */
  async #fsync(): Promise<number> {
    const target = this.#writtenSeq;
    const bytes = this.#written;
    while (this.#syncing) {
      const covered = await this.#syncing.catch(() => -1);
      if (covered >= target) return this.#durableSeq;
    }
    this.#syncing = fdatasyncAsync(this.#fd).then(() => {
      if (target > this.#durableSeq) this.#durableSeq = target;
      this.#compactor?.wrote(bytes);
      return target;
    });
    try {
      await this.#syncing;
    } finally {
      this.#syncing = null;
    }
    return this.#durableSeq;
  }

  async #cut(model: string | null): Promise<BlockHeader | null> {
    if (this.#failed) throw new LogFailedError(this.#failed);
    if (this.#frontier.size === 0) return null;
    // Everything appended up to this instant belongs to the block; what is appended while
    // the cut runs waits in #pending for the next batch and the next block.
    // A failed cut fails the log (above), so the last header is always the previous block's.
    const prevHeader = this.#lastHeader;
    const byteOffset = prevHeader ? prevHeader.byteOffset + prevHeader.byteLength : 0;
    let key: KeyObject;
    try {
      key = this.#key ??= loadSigningKey(this.#keyFile);
    } catch (err) {
      throw new Error(`cannot cut a block without the signing key: ${(err as Error).message}`);
    }
    const header = signHeader(
      {
        index: prevHeader ? prevHeader.index + 1 : 0,
        prevBlockHash: prevHeader ? prevHeader.hash : '0'.repeat(64),
        firstSeq: prevHeader ? prevHeader.lastSeq + 1 : 0,
        lastSeq: this.#nextSeq - 1,
        byteOffset,
        byteLength: this.#end - byteOffset,
        tip: this.#tip,
        merkleRoot: this.#frontier.root(),
        model,
        time: new Date().toISOString(),
      },
      key,
    );
    this.#frontier = new MerkleFrontier();
    try {
      await this.#writeBatch();
      if (this.#backend.kind === 'btrfs') {
        // The header goes in first, unsynced: taking the snapshot commits a btrfs transaction
        // that flushes the subvolume's data, so the log bytes, the header and the snapshot
        // become durable together, with no fsync of our own. A crash before the snapshot
        // leaves a header without one, which the next start completes (see recover.ts).
        // No fdatasync of ours runs alongside the commit (a pending timer one is dropped, the
        // commit covers it): appends would wait for it too. (Flushing the log before holding
        // appends was tried and measured: the commit is two device flushes and metadata, the
        // timer keeps little data unsynced, so it made cuts ~2-4 ms longer and the hold no
        // shorter.)
        const durable = this.#writtenSeq;
        this.#cancelSyncTimer();
        await this.#syncing?.catch(() => {});
        writeHeader(this.#l.blocks, header, { fsync: false });
        await this.#backend.snapshot(header);
        if (durable > this.#durableSeq) this.#durableSeq = durable;
      } else {
        await this.#fsync();
        writeHeader(this.#l.blocks, header, { fsync: true });
      }
    } catch (err) {
      // The block's Merkle state is gone with the cut; reopening rebuilds it from the log.
      this.#fail(err as Error, []);
      throw err;
    }
    this.#lastHeader = header;
    this.#compactor?.wrote(byteOffset + header.byteLength);
    this.#retain();
    return header;
  }

  /** Deletes the oldest block snapshots beyond the kept number, off the write path. */
  #retain(): void {
    const keep = Math.max(1, this.#opts.blocks?.keepSnapshots ?? Infinity); // the newest one always stays
    if (keep === Infinity || this.#backend.kind === 'directory') return;
    const run: Promise<void> = (this.#retention ?? Promise.resolve())
      .then(async () => {
        const all = this.#backend.list();
        for (const s of all.slice(0, Math.max(0, all.length - keep))) await this.#backend.remove(s);
      })
      .catch((err) => this.#opts.onWarning?.(err))
      .finally(() => {
        if (this.#retention === run) this.#retention = null;
      });
    this.#retention = run;
  }

  #fail(err: Error, waiters: Waiter[]): void {
    this.#failed ??= err;
    const failed = new LogFailedError(this.#failed);
    for (const w of [...waiters, ...this.#waiters]) w.reject(failed);
    this.#waiters = [];
    this.#pending.take();
  }
}

export function openEventLog(opts: OpenOptions): Promise<EventLog> {
  return EventLog.open(opts);
}
