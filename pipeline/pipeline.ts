// The pipeline: flow facts in; ECS events (private, no payload), vectors and anomaly scores
// out (process), or the same events as JSON text with their vectors (encode, for the log).
import { join, resolve } from 'node:path';
import type { FlowFact } from './facts.ts';
import type { EcsEvent } from './event.ts';
import { EventBuilder } from './event-builder.ts';
import type { PrivacyMode } from './privacy.ts';
import { Privacy } from './privacy.ts';
import { loadOrCreateKeyFile, readKeyFile } from './key-file.ts';
import type { VectorizerOptions } from './event-vectorizer.ts';
import { createVectorizer } from './event-vectorizer.ts';
import { FEATURE_COUNT } from './features.ts';

export interface PipelineOptions extends VectorizerOptions {
  /** 'pseudonymize' (default), 'raw' or 'drop'. */
  privacy?: PrivacyMode;
  /** The 32-byte site key (raw or hex), outside <data>; created (mode 0600) if missing. */
  keyFile?: string;
  /** The key itself, instead of a key file. */
  key?: Uint8Array;
  /** false: events only, no vectors (vector and anomaly are null). */
  vectorize?: boolean;
  /** Most live flows remembered to join start and end (oldest forgotten first). */
  flowTableLimit?: number;
  /** Most pseudonyms cached. */
  pseudonymCacheLimit?: number;
}

export interface PipelineOutput {
  /** ECS JSON, ready for the log (which adds seq, prev and hash). */
  event: EcsEvent;
  /** L2-normalized embedding, or null for events that are not flows (or vectorize: false). */
  vector: Float32Array | null;
  /** Reconstruction error of the autoencoder; higher is more unusual. */
  anomaly: number | null;
}

/** A batch of events as the log and the index take them (no anomaly scores). */
export interface EncodedEvents {
  /** Each event as JSON.stringify would write it (what EventLog.appendJson takes). */
  jsons: string[];
  /** Each event's @timestamp. */
  timestamps: string[];
  /** Each event's vector, as process() gives it; null for events that are not flows (or vectorize: false). */
  vectors: (Float32Array | null)[];
}

/** encode()'s events with their vectors in one array, as the pipeline thread sends them back. */
export interface PackedEvents {
  jsons: string[];
  timestamps: string[];
  /** Event i's vector is row rows[i] of `vectors` (dimension floats a row); it has none where rows[i] is -1. */
  rows: Int32Array;
  vectors: Float32Array;
}

export interface Pipeline {
  process(facts: FlowFact[]): Promise<PipelineOutput[]>;
  /**
   * The same events and vectors as process(), as JSON text ready for the log: flow events
   * are written as text directly instead of built as objects, and only the vectors are
   * computed (no anomaly scores). For `ghostbridge run`'s hot path.
   */
  encode(facts: FlowFact[]): Promise<EncodedEvents>;
  /** The content-addressed id of the model in use (null without vectors). */
  readonly modelId: string | null;
  readonly dimension: number | null;
  readonly privacyMode: PrivacyMode;
  /** The id of the pseudonymization key in use; every event records it. */
  readonly keyId: string | null;
  /**
   * Switches to a new key (given, or re-read from the key file). Takes effect from the next
   * event built; events carry the key's id in ghostbridge.privacy.key_id, so the log shows
   * where the key changed. Returns the new key id.
   */
  rotateKey(key?: Uint8Array): Promise<string>;
  close(): Promise<void>;
}

/** A pipeline in this thread, which also gives encode()'s vectors packed (no view per vector). */
export interface LocalPipeline extends Pipeline {
  encodePacked(facts: FlowFact[]): Promise<PackedEvents>;
}

const NO_VECTORS = new Float32Array(0);

export async function createPipeline(options: PipelineOptions = {}): Promise<LocalPipeline> {
  const log = options.log ?? ((m: string) => process.stderr.write(`ghostbridge pipeline: ${m}\n`));
  const mode = options.privacy ?? 'pseudonymize';
  let key: Uint8Array | null = null;
  if (mode === 'pseudonymize') {
    if (options.key) key = options.key;
    else if (options.keyFile) key = await loadOrCreateKeyFile(options.keyFile, log);
    else throw new Error('pseudonymize mode needs a key file (keyFile) or a key');
  }
  const privacy = new Privacy(mode, key, options.pseudonymCacheLimit);
  const builder = new EventBuilder(privacy, options.flowTableLimit);
  const vectorizer = (options.vectorize ?? true) ? await createVectorizer({ ...options, log }) : null;
  let closed = false;

  async function encodePacked(facts: FlowFact[]): Promise<PackedEvents> {
    if (closed) throw new Error('the pipeline is closed');
    const n = facts.length;
    const jsons = new Array<string>(n);
    const timestamps = new Array<string>(n);
    const rows = new Int32Array(n);
    const features = vectorizer ? new Float32Array(n * FEATURE_COUNT) : null;
    let count = 0; // feature rows written
    for (let i = 0; i < n; i++) {
      const e = builder.encode(facts[i]!, features, count * FEATURE_COUNT);
      jsons[i] = e.json;
      timestamps[i] = e.timestamp;
      rows[i] = e.vectorized && features ? count++ : -1;
    }
    const vectors = vectorizer && count > 0 ? await vectorizer.embed(features!, count) : NO_VECTORS;
    return { jsons, timestamps, rows, vectors };
  }

  return {
    modelId: vectorizer?.modelId ?? null,
    dimension: vectorizer?.dimension ?? null,
    privacyMode: mode,
    get keyId() {
      return privacy.keyId;
    },
    async process(facts) {
      if (closed) throw new Error('the pipeline is closed');
      const events = facts.map((fact) => builder.build(fact));
      const vectors = vectorizer ? await vectorizer.vectorize(events) : null;
      return events.map((event, i) => ({ event, vector: vectors?.[i]!.vector ?? null, anomaly: vectors?.[i]!.anomaly ?? null }));
    },
    encodePacked,
    async encode(facts) {
      const { jsons, timestamps, rows, vectors } = await encodePacked(facts);
      const d = vectorizer?.dimension ?? 0;
      return { jsons, timestamps, vectors: Array.from(rows, (r) => (r < 0 ? null : vectors.subarray(r * d, (r + 1) * d))) };
    },
    async rotateKey(newKey) {
      const next = newKey ?? (options.keyFile ? await readKeyFile(options.keyFile) : null);
      if (!next) throw new Error('rotateKey needs a key, or a key file to re-read');
      privacy.rotate(next);
      log(`pseudonymization key rotated; events from now on carry key_id ${privacy.keyId}`);
      return privacy.keyId!;
    },
    async close() {
      closed = true;
      await vectorizer?.close();
    },
  };
}

/** Where a data directory's models live: <data>/metadata/model. */
export function modelDirOf(dataDir: string): string {
  return join(dataDir, 'metadata', 'model');
}

/** The default key file for a data directory: beside it, not inside (<data>.pseudonym.key). */
export function defaultKeyFile(dataDir: string): string {
  return `${resolve(dataDir)}.pseudonym.key`;
}
