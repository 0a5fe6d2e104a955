// The Qdrant backend, for deployments that outgrow one machine (a Qdrant cluster shards and
// replicates the collection). Points are events: id = seq, the vector, no payload (the event
// itself stays in the log). The watermark and the model live in Qdrant too, as the one point
// of a small side collection `<collection>-meta`, so an index wiped on the server is seen
// as empty and refilled from the log instead of trusting a watermark kept elsewhere.
import { QdrantClient } from '@qdrant/js-client-rest';
import { checkAdd, checkK, normalized, type IndexEntry, type IndexIdentity, type VectorHit, type VectorIndex } from './vector-index.ts';

const FORMAT = 1;
const META_POINT = 0;
/** Points per upsert request. */
const UPSERT_BATCH = 1000;

export interface QdrantOptions extends IndexIdentity {
  url: string;
  /** Collection name; letters, digits, '-', '_' (default "ghostbridge"). */
  collection?: string;
  apiKey?: string;
  /** Start empty whatever the collection holds (a rebuild). */
  reset?: boolean;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
}

interface MetaPayload {
  format: number;
  model: string;
  dimension: number;
  watermark: number;
}

export class QdrantIndex implements VectorIndex {
  readonly backend = 'qdrant' as const;
  readonly model: string;
  readonly dimension: number;
  readonly repairs: string[] = [];
  #watermark = -1;
  #client: QdrantClient;
  #name: string;
  #meta: string;
  #reset: boolean;
  #loaded: Promise<void> | null = null;

  private constructor(opts: QdrantOptions) {
    this.model = opts.model;
    this.dimension = opts.dimension;
    this.#name = opts.collection ?? 'ghostbridge';
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(this.#name)) throw new Error(`not a usable Qdrant collection name: ${JSON.stringify(this.#name)}`);
    this.#meta = `${this.#name}-meta`;
    this.#reset = opts.reset ?? false;
    this.#client = new QdrantClient({ url: opts.url, apiKey: opts.apiKey, timeout: opts.timeoutMs ?? 30_000, checkCompatibility: false });
  }

  /** Connects and loads now: fails if the server cannot be reached. */
  static async open(opts: QdrantOptions): Promise<QdrantIndex> {
    const index = new QdrantIndex(opts);
    await index.ready();
    return index;
  }

  /** Connects on first use, and again after a failure (a server that is down at start). */
  static connectLater(opts: QdrantOptions): QdrantIndex {
    return new QdrantIndex(opts);
  }

  ready(): Promise<void> {
    this.#loaded ??= this.#load(this.#reset).then(
      () => {
        this.#reset = false;
      },
      (err: Error) => {
        this.#loaded = null;
        throw err;
      },
    );
    return this.#loaded;
  }

  get watermark(): number {
    return this.#watermark;
  }

  async #load(reset: boolean): Promise<void> {
    const meta = await this.#readMeta();
    const fits = meta && meta.format === FORMAT && meta.model === this.model && meta.dimension === this.dimension;
    if (fits && !reset && (await this.#client.collectionExists(this.#name)).exists) {
      this.#watermark = meta.watermark;
      return;
    }
    if (reset) this.repairs.push('started empty (rebuild)');
    else if (meta) this.repairs.push(`the collection held vectors of model ${meta.model} (dimension ${meta.dimension}); emptied for model ${this.model}`);
    for (const name of [this.#name, this.#meta]) {
      if ((await this.#client.collectionExists(name)).exists) await this.#client.deleteCollection(name);
    }
    await this.#client.createCollection(this.#name, { vectors: { size: this.dimension, distance: 'Cosine' } });
    await this.#client.createCollection(this.#meta, { vectors: { size: 1, distance: 'Dot' } });
    await this.#writeMeta();
  }

  async #readMeta(): Promise<MetaPayload | null> {
    if (!(await this.#client.collectionExists(this.#meta)).exists) return null;
    const [point] = await this.#client.retrieve(this.#meta, { ids: [META_POINT], with_payload: true, with_vector: false });
    const p = point?.payload as Partial<MetaPayload> | null | undefined;
    if (!p || typeof p.model !== 'string' || !Number.isSafeInteger(p.dimension) || !Number.isSafeInteger(p.watermark)) return null;
    return p as MetaPayload;
  }

  async #writeMeta(): Promise<void> {
    const payload: MetaPayload = { format: FORMAT, model: this.model, dimension: this.dimension, watermark: this.#watermark };
    await this.#client.upsert(this.#meta, { wait: true, points: [{ id: META_POINT, vector: [1], payload: { ...payload } }] });
  }

  async add(entries: readonly IndexEntry[], upTo: number): Promise<void> {
    await this.ready();
    checkAdd(this, entries, upTo);
    for (let i = 0; i < entries.length; i += UPSERT_BATCH) {
      const points = entries.slice(i, i + UPSERT_BATCH).map((e) => ({ id: e.seq, vector: Array.from(normalized(e.vector, this.dimension)) }));
      await this.#client.upsert(this.#name, { wait: true, points });
    }
    // The points are stored (wait: true) before the watermark that covers them moves.
    const previous = this.#watermark;
    this.#watermark = upTo;
    try {
      await this.#writeMeta();
    } catch (err) {
      this.#watermark = previous;
      throw err;
    }
  }

  async search(vector: Float32Array, k: number, opts: { exclude?: number } = {}): Promise<VectorHit[]> {
    checkK(k);
    const q = Array.from(normalized(vector, this.dimension));
    await this.ready();
    // One more than asked, so the excluded point (usually the query's own event) can go.
    const { points } = await this.#client.query(this.#name, { query: q, limit: opts.exclude === undefined ? k : k + 1, with_payload: false });
    return points
      .map((p) => ({ seq: Number(p.id), score: p.score }))
      .filter((h) => h.seq !== opts.exclude)
      .slice(0, k)
      .sort((a, b) => b.score - a.score || a.seq - b.seq);
  }

  async vectorOf(seq: number): Promise<Float32Array | undefined> {
    await this.ready();
    const [point] = await this.#client.retrieve(this.#name, { ids: [seq], with_payload: false, with_vector: true });
    return Array.isArray(point?.vector) ? Float32Array.from(point.vector as number[]) : undefined;
  }

  async count(): Promise<number> {
    await this.ready();
    return (await this.#client.count(this.#name, { exact: true })).count;
  }

  async close(): Promise<void> {
    // The REST client holds no connection of its own to release.
  }
}

export function openQdrantIndex(opts: QdrantOptions): Promise<QdrantIndex> {
  return QdrantIndex.open(opts);
}
