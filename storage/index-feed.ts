// Keeps a vector index following the log, off the forwarding path. The live path hands over
// the vectors the pipeline already computed (offer(), synchronous, never waits); whenever
// the index is behind (it was stopped, a batch was dropped because the queue was full, the
// index failed), the feeder reads the missing events back from the log from the watermark
// on and vectorizes them again. The log is the source of truth, so nothing is ever lost:
// at worst the index lags.
import type { LogRecord } from './log-reader.ts';
import type { IndexEntry, VectorIndex } from './vector-index.ts';

export interface LogSource {
  from(seq: number): AsyncIterable<LogRecord>;
}

/** Vectors for events read back from the log (null for events that have none). */
export type RecordVectorizer = (records: LogRecord[]) => Promise<(Float32Array | null)[]>;

export interface FeedOptions {
  index: VectorIndex;
  log: LogSource;
  vectorize: RecordVectorizer;
  /** Most vectors waiting in memory; beyond it live batches are dropped and read back later. */
  maxQueued?: number;
  /** Events per catch-up batch. */
  batch?: number;
  /** First retry delay after a failure (doubles up to 30 s). */
  retryMs?: number;
  onError?: (err: Error) => void;
}

interface Pending {
  firstSeq: number;
  vectors: (Float32Array | null)[];
}

export class IndexFeed {
  readonly index: VectorIndex;
  #opts: FeedOptions;
  #queue: Pending[] = [];
  #queued = 0;
  /** Something was dropped or failed: read the log before using the queue again. */
  #behind = true;
  #running: Promise<void> | null = null;
  #retry: NodeJS.Timeout | null = null;
  #retryMs: number;
  #closed = false;

  constructor(opts: FeedOptions) {
    this.#opts = opts;
    this.index = opts.index;
    this.#retryMs = opts.retryMs ?? 500;
  }

  /** Starts catching up with the log. */
  start(): void {
    this.#kick();
  }

  /**
   * The vectors of events firstSeq, firstSeq+1, … as the pipeline made them (null: no vector).
   * Returns at once; the index is written later.
   */
  offer(firstSeq: number, vectors: (Float32Array | null)[]): void {
    if (this.#closed || vectors.length === 0) return;
    if (this.#behind || this.#queued + vectors.length > (this.#opts.maxQueued ?? 100_000)) {
      this.#behind = true; // the catch-up will read these from the log
    } else {
      this.#queue.push({ firstSeq, vectors });
      this.#queued += vectors.length;
    }
    this.#kick();
  }

  /** True while nothing is queued or being caught up. */
  get idle(): boolean {
    return this.#running === null && this.#queue.length === 0 && !this.#behind;
  }

  /** Resolves when the work started so far is done (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops taking work, finishes what is running, closes the index. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    await this.settled();
    await this.index.close();
  }

  #kick(): void {
    if (this.#running || this.#retry || this.#closed) return;
    this.#running = this.#work()
      .then(() => {
        this.#retryMs = this.#opts.retryMs ?? 500;
      })
      .catch((err: Error) => {
        this.#behind = true;
        this.#opts.onError?.(err);
        this.#retry = setTimeout(() => {
          this.#retry = null;
          this.#kick();
        }, this.#retryMs);
        this.#retry.unref();
        this.#retryMs = Math.min(this.#retryMs * 2, 30_000);
      })
      .finally(() => {
        this.#running = null;
        if (!this.#closed && !this.#retry && (this.#queue.length > 0 || this.#behind)) this.#kick();
      });
  }

  async #work(): Promise<void> {
    while (!this.#closed) {
      if (this.#behind) {
        this.#behind = false;
        this.#queue = [];
        this.#queued = 0;
        await this.catchUp();
        continue;
      }
      const taken = this.#queue;
      if (taken.length === 0) return;
      this.#queue = [];
      this.#queued = 0;
      const entries: IndexEntry[] = [];
      let upTo = this.index.watermark;
      for (const p of taken) {
        if (p.firstSeq > upTo + 1) {
          // A gap (events appended before this feed started, or dropped): read the log.
          this.#behind = true;
          break;
        }
        p.vectors.forEach((vector, i) => {
          const seq = p.firstSeq + i;
          if (seq > upTo && vector) entries.push({ seq, vector });
        });
        upTo = Math.max(upTo, p.firstSeq + p.vectors.length - 1);
      }
      if (upTo > this.index.watermark) await this.index.add(entries, upTo);
    }
  }

  /** Indexes every event after the watermark that the log holds now. */
  async catchUp(): Promise<void> {
    await this.index.ready();
    const size = this.#opts.batch ?? 4096;
    let records: LogRecord[] = [];
    for await (const r of this.#opts.log.from(this.index.watermark + 1)) {
      records.push(r);
      if (records.length >= size) {
        await this.#indexRecords(records);
        records = [];
      }
      if (this.#closed) return;
    }
    if (records.length > 0) await this.#indexRecords(records);
  }

  async #indexRecords(records: LogRecord[]): Promise<void> {
    const vectors = await this.#opts.vectorize(records);
    const entries: IndexEntry[] = [];
    records.forEach((r, i) => {
      const v = vectors[i];
      if (v) entries.push({ seq: r.seq, vector: v });
    });
    await this.index.add(entries, records[records.length - 1]!.seq);
  }
}
