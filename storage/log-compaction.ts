// Keeps the live log's newest extents few, off the cut path. Why: after each block's
// snapshot, the first change to the log copies the fs-tree leaves that hold its inode and
// its newest file extent items (they are shared with the snapshot now) and adds a
// back-reference for every extent named in them; the next cut's commit does that work
// (measured: a commit that touches a leaf naming 76 extents dirtied 43 extent-tree leaves,
// as each extent carries one back-reference per retained snapshot). Each writeback of the
// log (a cut, a timer fdatasync) leaves a new extent, so the tail leaf fills up (~200
// items) and a cut's p50 roughly doubles over a few hundred cuts (BENCHMARKS.md, Storage).
// The compactor merges the newest small extents into larger ones with
// BTRFS_IOC_DEFRAG_RANGE, which rewrites the same bytes: the log's content and size and
// every snapshot stay as they are (a snapshot keeps its own copy of the old extents).
//
// Merging is tiered, like an LSM tree, so a byte is rewritten a bounded number of times:
// once FANOUT writebacks have happened since the last run, the bytes they wrote become a
// level-0 run (one defrag); FANOUT adjacent runs of one level at the end of the log become
// one run of the next level. Nothing larger than CAP is rewritten: such a range is left as
// it is (its extents average over CAP / FANOUT, so they are few for their bytes). CAP is
// small because the rewritten bytes are flushed by whichever commits come next: with 32 MB,
// the 23 MB merges made the cuts beside them slow at p99 in alternating runs of 300
// back-to-back cuts; with 4 MB they did not (BENCHMARKS.md). One defrag runs at a time; appends and cuts go on
// meanwhile (the kernel locks the pages it rewrites; the bytes do not change).
//
// What it does not change: a leaf holds ~200 extent items whatever their size, so runs that
// are final still pile up in the tail leaf (one per FANOUT writebacks) until it splits; this
// slows the growth of a cut's cost ~FANOUT-fold, it does not bound it below one full leaf.

/** Writebacks (new extents, roughly) that make a level-0 run; runs of a level that merge. */
export const FANOUT = 16;
/** The most bytes one defrag rewrites, and the extent size below which it merges extents. */
export const CAP = 4 << 20;

export type Defrag = (start: number, length: number, threshold: number) => Promise<void>;

interface Run {
  start: number;
  end: number;
  level: number;
}

/** A range to make one run of `level`: in place of the last `replaces` runs, or of `writebacks` writebacks since the mark. */
interface Step extends Run {
  replaces: number;
  writebacks: number;
}

export class LogCompactor {
  readonly #defrag: Defrag;
  /** Runs at the end of the compacted part, oldest first; older ones are final. */
  #runs: Run[] = [];
  /** Where the part not yet in a run starts, and where the durable log ends. */
  #mark: number;
  #end: number;
  /** Writebacks since #mark. */
  #writebacks = 0;
  #busy: Promise<void> | null = null;
  #closed = false;
  /** The first defrag that failed; compaction stops then (the log does not need it). */
  error: Error | null = null;
  /** Defrags done and bytes they rewrote, for tests and the benchmark. */
  readonly done = { defrags: 0, bytes: 0 };

  /** `from`: the log's durable size when it was opened (older bytes are left as they are). */
  constructor(defrag: Defrag, from: number) {
    this.#defrag = defrag;
    this.#mark = this.#end = from;
  }

  /** A writeback made the log durable up to `end` bytes (it left one more extent). */
  wrote(end: number): void {
    if (end <= this.#end) return;
    this.#end = end;
    this.#writebacks++;
    if (this.#busy || this.#closed || this.error || this.#writebacks < FANOUT) return;
    this.#busy = this.#compact().finally(() => (this.#busy = null));
  }

  /** A defrag is in flight (it holds the log's inode while it rewrites a range). */
  get busy(): boolean {
    return this.#busy !== null;
  }

  /** Waits for a defrag in flight; starts no more. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#busy;
  }

  async #compact(): Promise<void> {
    while (!this.#closed && !this.error) {
      const step = this.#next();
      if (!step) return;
      const { start, end, level } = step;
      const rewrite = end - start <= CAP;
      if (rewrite) {
        try {
          await this.#defrag(start, end - start, CAP);
        } catch (err) {
          this.error = err as Error;
          return;
        }
        this.done.defrags++;
        this.done.bytes += end - start;
      }
      if (step.writebacks > 0) {
        this.#mark = end;
        this.#writebacks -= step.writebacks; // more may have happened during the defrag
      }
      if (rewrite) this.#runs.splice(this.#runs.length - step.replaces, step.replaces, { start, end, level });
      else this.#runs.length = 0; // too large to rewrite: final, later runs never merge across it
    }
  }

  /** The next step: a merge of the last FANOUT runs (all of one level), a new level-0 run, or none. */
  #next(): Step | null {
    const tail = this.#runs.slice(-FANOUT);
    if (tail.length === FANOUT && tail.every((r) => r.level === tail[0].level)) {
      return { start: tail[0].start, end: tail.at(-1)!.end, level: tail[0].level + 1, replaces: FANOUT, writebacks: 0 };
    }
    if (this.#writebacks < FANOUT) return null;
    return { start: this.#mark, end: this.#end, level: 0, replaces: 0, writebacks: this.#writebacks };
  }
}
