// Events to vectors and anomaly scores with a given model: used by the pipeline for new
// events, and on its own to re-vectorize events read back from a log (an index rebuild with
// the model a block names). Features come from the event alone, so both give the same bytes.
import { fileURLToPath } from 'node:url';
import type { EcsEvent } from './event.ts';
import { FEATURE_COUNT, isVectorized, writeFeatures } from './features.ts';
import { DenseModel } from './dense.ts';
import type { ModelFiles } from './model-files.ts';
import { modelId, readCurrentModelId, readModelDir, readStoredModel, storeModel, writeCurrentModelId } from './model-files.ts';
import type { BatchLimits, Engine } from './vectorizer.ts';
import { DEFAULT_BATCH_LIMITS, MicroBatcher } from './vectorizer.ts';

/** The model the project ships, made by pipeline/model/train-default.ts. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('./model/default/', import.meta.url));

export interface VectorizerOptions {
  /** <data>/metadata/model/: models stored by id. Without it, the shipped default is used in place. */
  modelDir?: string;
  /** The id of the model to use; default: <modelDir>/current, else the shipped default (installed there). */
  model?: string;
  /**
   * 'exact' (default): plain Float32Array arithmetic equal to tfjs-cpu bit for bit.
   * 'tfjs': TensorFlow.js with the wasm backend (XNNPACK; equal to 'exact' within tolerance).
   */
  engine?: 'exact' | 'tfjs';
  batch?: Partial<BatchLimits>;
  log?: (message: string) => void;
}

export interface Vectorized {
  /** L2-normalized embedding; null for events that are not flows. */
  vector: Float32Array | null;
  /** Reconstruction error of the autoencoder; higher is more unusual. */
  anomaly: number | null;
}

export interface EventVectorizer {
  /** The content-addressed id of the model in use. */
  readonly modelId: string;
  readonly dimension: number;
  /** One result per event, in order. */
  vectorize(events: readonly EcsEvent[]): Promise<Vectorized[]>;
  /**
   * The vectors (rows × dimension) of feature rows as writeFeatures gives them (the array is
   * overwritten), without the anomaly scores where the engine can skip computing them.
   */
  embed(features: Float32Array, rows: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/** The model to use and its id (a stored model was checked to hash to its id when read). */
async function resolveModel(options: VectorizerOptions, log: (m: string) => void): Promise<{ files: ModelFiles; id: string }> {
  // The shipped model is read only where it is used: in place, or to install it once.
  if (!options.modelDir) {
    const files = await readModelDir(DEFAULT_MODEL_DIR);
    const id = modelId(files);
    if (options.model && options.model !== id) throw new Error(`model ${options.model} requested, but no model directory was given`);
    return { files, id };
  }
  const dir = options.modelDir;
  let id = options.model ?? (await readCurrentModelId(dir));
  if (id === null) {
    id = await storeModel(dir, await readModelDir(DEFAULT_MODEL_DIR));
    await writeCurrentModelId(dir, id);
    log(`installed the default vectorizer model ${id} in ${dir}`);
  }
  return { files: await readStoredModel(dir, id), id };
}

async function createEngine(files: ModelFiles, kind: 'exact' | 'tfjs'): Promise<Engine & { dispose?: () => void }> {
  if (kind === 'exact') return new DenseModel(files);
  // Loaded only when asked for: tfjs and its wasm take a while to start.
  const { TfjsEngine } = await import('./tfjs-engine.ts');
  return TfjsEngine.load(files);
}

export async function createVectorizer(options: VectorizerOptions = {}): Promise<EventVectorizer> {
  const log = options.log ?? ((m: string) => process.stderr.write(`ghostbridge pipeline: ${m}\n`));
  const { files, id } = await resolveModel(options, log);
  const kind = options.engine ?? 'exact';
  const engine = await createEngine(files, kind);
  const limits = { ...DEFAULT_BATCH_LIMITS[kind], ...options.batch };
  const batcher = new MicroBatcher(engine, limits);
  const d = engine.dimension;
  return {
    modelId: id,
    dimension: d,
    async vectorize(events) {
      const results: Vectorized[] = events.map(() => ({ vector: null, anomaly: null }));
      const rows = events.flatMap((e, i) => (isVectorized(e) ? [i] : []));
      if (rows.length === 0) return results;
      const features = new Float32Array(rows.length * FEATURE_COUNT);
      rows.forEach((i, r) => writeFeatures(events[i]!, features, r * FEATURE_COUNT));
      const { vectors, anomalies } = await batcher.run(features, rows.length);
      rows.forEach((i, r) => {
        results[i] = { vector: vectors.slice(r * d, (r + 1) * d), anomaly: anomalies[r]! };
      });
      return results;
    },
    async embed(features, rows) {
      // With no wait for other callers there is nothing to batch: the engine is called as is.
      if (engine.embed && limits.maxWaitMs === 0) return engine.embed(features, rows);
      return (await batcher.run(features, rows)).vectors;
    },
    async close() {
      batcher.drain();
      engine.dispose?.();
    },
  };
}
