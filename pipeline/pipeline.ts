// The pipeline: flow facts in; ECS events (private, no payload), vectors and anomaly scores out.
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import type { FlowFact } from './facts.ts';
import type { EcsEvent } from './event.ts';
import { EventBuilder } from './event-builder.ts';
import type { PrivacyMode } from './privacy.ts';
import { Privacy } from './privacy.ts';
import { loadOrCreateKeyFile, readKeyFile } from './key-file.ts';
import { FEATURE_COUNT, isVectorized, writeFeatures } from './features.ts';
import { DenseModel } from './dense.ts';
import type { ModelFiles } from './model-files.ts';
import { modelId, readCurrentModelId, readModelDir, readStoredModel, storeModel, writeCurrentModelId } from './model-files.ts';
import type { BatchLimits, Engine } from './vectorizer.ts';
import { DEFAULT_BATCH_LIMITS, MicroBatcher } from './vectorizer.ts';

/** The model the project ships, made by pipeline/model/train-default.ts. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('./model/default/', import.meta.url));

export interface PipelineOptions {
  /** 'pseudonymize' (default), 'raw' or 'drop'. */
  privacy?: PrivacyMode;
  /** The 32-byte site key (raw or hex), outside <data>; created (mode 0600) if missing. */
  keyFile?: string;
  /** The key itself, instead of a key file. */
  key?: Uint8Array;
  /** <data>/metadata/model/: models stored by id. Without it, the shipped default is used in place. */
  modelDir?: string;
  /** The id of the model to use; default: <modelDir>/current, else the shipped default. */
  model?: string;
  /** false: events only, no vectors (vector and anomaly are null). */
  vectorize?: boolean;
  /**
   * 'exact' (default): plain Float32Array arithmetic equal to tfjs-cpu bit for bit.
   * 'tfjs': TensorFlow.js with the wasm backend (XNNPACK; equal to 'exact' within tolerance).
   */
  engine?: 'exact' | 'tfjs';
  batch?: Partial<BatchLimits>;
  /** Most live flows remembered to join start and end (oldest forgotten first). */
  flowTableLimit?: number;
  /** Most pseudonyms cached. */
  pseudonymCacheLimit?: number;
  /** Where the pipeline says what it did (key created, model installed). */
  log?: (message: string) => void;
}

export interface PipelineOutput {
  /** ECS JSON, ready for the log (which adds seq, prev and hash). */
  event: EcsEvent;
  /** L2-normalized embedding, or null for events that are not flows (or vectorize: false). */
  vector: Float32Array | null;
  /** Reconstruction error of the autoencoder; higher is more unusual. */
  anomaly: number | null;
}

export interface Pipeline {
  process(facts: FlowFact[]): Promise<PipelineOutput[]>;
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

async function resolveModel(options: PipelineOptions, log: (m: string) => void): Promise<ModelFiles> {
  const shipped = await readModelDir(DEFAULT_MODEL_DIR);
  if (!options.modelDir) {
    if (options.model && options.model !== modelId(shipped)) throw new Error(`model ${options.model} requested, but no model directory was given`);
    return shipped;
  }
  const dir = options.modelDir;
  let id = options.model ?? (await readCurrentModelId(dir));
  if (id === null) {
    id = await storeModel(dir, shipped);
    await writeCurrentModelId(dir, id);
    log(`installed the default vectorizer model ${id} in ${dir}`);
  }
  return readStoredModel(dir, id);
}

async function createEngine(files: ModelFiles, kind: 'exact' | 'tfjs'): Promise<Engine & { dispose?: () => void }> {
  if (kind === 'exact') return new DenseModel(files);
  const { TfjsEngine } = await import('./tfjs-engine.ts');
  return TfjsEngine.load(files);
}

export async function createPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
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
  const vectorize = options.vectorize ?? true;
  const files = vectorize ? await resolveModel(options, log) : null;
  const engineKind = options.engine ?? 'exact';
  const engine = files ? await createEngine(files, engineKind) : null;
  const batcher = engine ? new MicroBatcher(engine, { ...DEFAULT_BATCH_LIMITS[engineKind], ...options.batch }) : null;
  const id = files ? modelId(files) : null;
  let closed = false;

  return {
    modelId: id,
    dimension: engine?.dimension ?? null,
    privacyMode: mode,
    get keyId() {
      return privacy.keyId;
    },
    async process(facts) {
      if (closed) throw new Error('the pipeline is closed');
      const outputs: PipelineOutput[] = facts.map((fact) => ({ event: builder.build(fact), vector: null, anomaly: null }));
      if (!batcher || !engine) return outputs;
      const vectorized = outputs.filter((o) => isVectorized(o.event));
      if (vectorized.length === 0) return outputs;
      const features = new Float32Array(vectorized.length * FEATURE_COUNT);
      vectorized.forEach((o, i) => writeFeatures(o.event, features, i * FEATURE_COUNT));
      const { vectors, anomalies } = await batcher.run(features, vectorized.length);
      const d = engine.dimension;
      vectorized.forEach((o, i) => {
        o.vector = vectors.slice(i * d, (i + 1) * d);
        o.anomaly = anomalies[i]!;
      });
      return outputs;
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
      batcher?.drain();
      engine?.dispose?.();
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
