// The vector index: one interface, two backends (storage/embedded-index.ts, needing no server,
// and storage/qdrant-index.ts). An index is derived data: it holds one vector per indexed
// event, keyed by the event's seq, and a watermark saying how far into the log it has got.
// Whatever happens to it, it can be rebuilt from events.jsonl (storage/index-rebuild.ts).

export interface VectorHit {
  seq: number;
  /** Cosine similarity (vectors are L2-normalized, so also their dot product). */
  score: number;
}

export interface IndexEntry {
  seq: number;
  vector: Float32Array;
}

export interface VectorIndex {
  readonly backend: 'embedded' | 'qdrant';
  /** The vectorizer model the vectors come from; vectors of two models are not comparable. */
  readonly model: string;
  readonly dimension: number;
  /** Every event with seq ≤ watermark has been indexed (or had no vector); -1: none. */
  readonly watermark: number;
  /** What opening repaired or reset, in words. */
  readonly repairs: string[];
  /**
   * Resolves once the index is usable; a server backend that could not be reached is tried
   * again on each call. Every other method waits for it.
   */
  ready(): Promise<void>;
  /**
   * Adds vectors (seqs above the watermark, ascending) and moves the watermark to `upTo`
   * (≥ the last seq given): events in between had no vector.
   */
  add(entries: readonly IndexEntry[], upTo: number): Promise<void>;
  /** The k indexed vectors most like `vector` (normalized here), best first. */
  search(vector: Float32Array, k: number, opts?: { exclude?: number }): Promise<VectorHit[]>;
  /** The vector stored for seq, if any. */
  vectorOf(seq: number): Promise<Float32Array | undefined>;
  /** How many vectors the index holds. */
  count(): Promise<number>;
  close(): Promise<void>;
}

export interface IndexIdentity {
  model: string;
  dimension: number;
}

/** A copy of `v` scaled to unit length; refuses vectors that cannot be compared. */
export function normalized(v: ArrayLike<number>, dimension: number): Float32Array {
  if (v.length !== dimension) throw new RangeError(`a vector of this index has ${dimension} numbers, not ${v.length}`);
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  if (!(sum > 0) || !Number.isFinite(sum)) throw new RangeError('the vector must be finite and not all zeros');
  const out = new Float32Array(dimension);
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * inv;
  return out;
}

export function checkAdd(index: { watermark: number; dimension: number }, entries: readonly IndexEntry[], upTo: number): void {
  if (!Number.isSafeInteger(upTo) || upTo < index.watermark) throw new RangeError(`the watermark cannot move from ${index.watermark} to ${upTo}`);
  let last = index.watermark;
  for (const e of entries) {
    if (!Number.isSafeInteger(e.seq) || e.seq <= last || e.seq > upTo) throw new RangeError(`seq ${e.seq} is out of order (after ${last}, up to ${upTo})`);
    if (e.vector.length !== index.dimension) throw new RangeError(`seq ${e.seq}: a vector of ${e.vector.length} numbers, the index holds ${index.dimension}`);
    last = e.seq;
  }
}

export function checkK(k: number): void {
  if (!Number.isSafeInteger(k) || k < 1) throw new RangeError(`k must be a positive whole number, not ${k}`);
}
