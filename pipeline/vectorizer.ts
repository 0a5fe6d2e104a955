// Micro-batching in front of the model: feature rows from concurrent process() calls (one per
// switch connection) are gathered and run together. A batch closes when it holds maxBatch
// rows, or when maxWaitMs has passed since its first row. maxWaitMs 0 means no waiting: each
// call's rows run at once (in chunks of maxBatch), which suits the exact engine, whose cost
// per row does not fall with batch size; tfjs, with its fixed cost per call, wants a wait.
import type { ForwardResult } from './dense.ts';
import { FEATURE_COUNT } from './features.ts';

export interface Engine {
  readonly dimension: number;
  /** features: rows × FEATURE_COUNT raw features (may be overwritten). Returns arrays of its own, never reused. */
  forward(features: Float32Array, rows: number): ForwardResult | Promise<ForwardResult>;
  /** forward()'s vectors alone, where the engine can skip the rest (the exact engine). */
  embed?(features: Float32Array, rows: number): Float32Array;
}

export interface BatchLimits {
  /** Most rows in one model call. */
  maxBatch: number;
  /** Longest a row waits for others before its batch runs, in milliseconds. */
  maxWaitMs: number;
}

export const DEFAULT_BATCH_LIMITS = {
  exact: { maxBatch: 4096, maxWaitMs: 0 },
  tfjs: { maxBatch: 1024, maxWaitMs: 1 },
} satisfies Record<string, BatchLimits>;

interface Pending {
  features: Float32Array;
  rows: number;
  resolve: (result: ForwardResult) => void;
  reject: (err: unknown) => void;
}

export class MicroBatcher {
  readonly #engine: Engine;
  readonly #limits: BatchLimits;
  #queue: Pending[] = [];
  #queuedRows = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(engine: Engine, limits: BatchLimits) {
    if (!(limits.maxBatch >= 1) || !(limits.maxWaitMs >= 0)) throw new Error(`batch limits need maxBatch ≥ 1 and maxWaitMs ≥ 0, got ${JSON.stringify(limits)}`);
    this.#engine = engine;
    this.#limits = limits;
  }

  /** Vectors and anomaly scores for `rows` rows; a request larger than maxBatch is split. */
  async run(features: Float32Array, rows: number): Promise<ForwardResult> {
    const { maxBatch } = this.#limits;
    if (rows <= maxBatch) return this.#enqueue(features, rows);
    const parts: Promise<ForwardResult>[] = [];
    for (let r = 0; r < rows; r += maxBatch) {
      const n = Math.min(maxBatch, rows - r);
      parts.push(this.#enqueue(features.subarray(r * FEATURE_COUNT, (r + n) * FEATURE_COUNT), n));
    }
    const done = await Promise.all(parts);
    const d = this.#engine.dimension;
    const out: ForwardResult = { vectors: new Float32Array(rows * d), anomalies: new Float64Array(rows) };
    let at = 0;
    for (const part of done) {
      out.vectors.set(part.vectors, at * d);
      out.anomalies.set(part.anomalies, at);
      at += part.anomalies.length;
    }
    return out;
  }

  #enqueue(features: Float32Array, rows: number): Promise<ForwardResult> {
    return new Promise((resolve, reject) => {
      if (this.#queuedRows + rows > this.#limits.maxBatch) this.#flush();
      this.#queue.push({ features, rows, resolve, reject });
      this.#queuedRows += rows;
      if (this.#queuedRows >= this.#limits.maxBatch || this.#limits.maxWaitMs === 0) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#limits.maxWaitMs);
    });
  }

  /** Runs everything queued as one batch. */
  #flush(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const batch = this.#queue;
    const rows = this.#queuedRows;
    this.#queue = [];
    this.#queuedRows = 0;
    if (batch.length === 0) return;
    let features = batch[0]!.features;
    if (batch.length > 1) {
      features = new Float32Array(rows * FEATURE_COUNT);
      let at = 0;
      for (const p of batch) {
        features.set(p.features.subarray(0, p.rows * FEATURE_COUNT), at);
        at += p.rows * FEATURE_COUNT;
      }
    }
    Promise.resolve()
      .then(() => this.#engine.forward(features, rows))
      .then(
        (result) => {
          // One caller (always so with maxWaitMs 0): the engine's fresh arrays are its own, no copy.
          if (batch.length === 1) return batch[0]!.resolve(result);
          const d = this.#engine.dimension;
          let at = 0;
          for (const p of batch) {
            p.resolve({ vectors: result.vectors.slice(at * d, (at + p.rows) * d), anomalies: result.anomalies.slice(at, at + p.rows) });
            at += p.rows;
          }
        },
        (err) => batch.forEach((p) => p.reject(err)),
      );
  }

  /** Runs what is queued now (used on close). */
  drain(): void {
    this.#flush();
  }
}
