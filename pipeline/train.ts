// Trains a vectorizer: a dense autoencoder over standardized features, with TensorFlow.js.
// The bottleneck layer ("embedding") gives the vector; reconstruction error is the anomaly
// score. Layer widths stay ≤ 48 so the exact engine's arithmetic matches tfjs-cpu's.
import type { EcsEvent } from './event.ts';
import type { ModelFiles } from './model-files.ts';
import { FEATURE_COUNT, isVectorized, writeFeatures } from './features.ts';
import { scaleOf, standardize } from './dense.ts';
import { fromLayersModel, initTfjs, tf } from './tfjs.ts';
import { storeModel, writeCurrentModelId } from './model-files.ts';

export interface TrainOptions {
  /** Vector dimension (the bottleneck's width). */
  dimension?: number;
  hidden?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Recorded in model.json's training section. */
  source?: string;
  log?: (message: string) => void;
}

const EMBEDDING_LAYER = 'embedding';

export async function trainAutoencoder(events: EcsEvent[], o: TrainOptions = {}): Promise<ModelFiles> {
  const flows = events.filter(isVectorized);
  if (flows.length < 100) throw new Error(`training needs at least 100 flow events; got ${flows.length}`);
  const dimension = o.dimension ?? 16;
  const hidden = o.hidden ?? 24;
  if (dimension > 48 || hidden > 48) throw new Error('layer widths above 48 are not supported (exact engine)');
  const backend = await initTfjs();
  const rows = flows.length;
  const features = new Float32Array(rows * FEATURE_COUNT);
  flows.forEach((e, i) => writeFeatures(e, features, i * FEATURE_COUNT));
  const mean = new Array<number>(FEATURE_COUNT).fill(0);
  const std = new Array<number>(FEATURE_COUNT).fill(0);
  for (let c = 0; c < FEATURE_COUNT; c++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += features[r * FEATURE_COUNT + c]!;
    mean[c] = Math.fround(sum / rows);
    let squares = 0;
    for (let r = 0; r < rows; r++) squares += (features[r * FEATURE_COUNT + c]! - mean[c]!) ** 2;
    std[c] = Math.fround(Math.sqrt(squares / rows));
  }
  standardize(features, rows, Float32Array.from(mean), scaleOf(std));

  const seed = o.seed ?? 1;
  const dense = (name: string, units: number, activation: 'relu' | 'linear', i: number, inputShape?: number[]) =>
    tf.layers.dense({ name, units, activation, ...(inputShape ? { inputShape } : {}), kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }) });
  const model = tf.sequential({
    layers: [
      dense('encoder_hidden', hidden, 'relu', 0, [FEATURE_COUNT]),
      dense(EMBEDDING_LAYER, dimension, 'linear', 1),
      dense('decoder_hidden', hidden, 'relu', 2),
      dense('reconstruction', FEATURE_COUNT, 'linear', 3),
    ],
  });
  model.compile({ optimizer: tf.train.adam(o.learningRate ?? 0.003), loss: 'meanSquaredError' });
  const x = tf.tensor2d(features, [rows, FEATURE_COUNT]);
  const epochs = o.epochs ?? 30;
  const started = Date.now();
  const history = await model.fit(x, x, {
    epochs,
    batchSize: o.batchSize ?? 256,
    shuffle: true,
    verbose: 0,
    callbacks: { onEpochEnd: (epoch, logs) => o.log?.(`epoch ${epoch + 1}/${epochs}: loss ${logs?.loss?.toFixed(5)}`) },
  });
  x.dispose();
  const losses = history.history.loss as number[];
  const files = await fromLayersModel(model, { mean, std }, EMBEDDING_LAYER, {
    source: o.source ?? 'unspecified',
    events: rows,
    epochs,
    finalLoss: losses[losses.length - 1],
    backend,
    seconds: (Date.now() - started) / 1000,
  });
  model.dispose();
  return files;
}

/** Trains on a site's events and stores the model under its id in modelDir; `use` makes it current. */
export async function trainSiteModel(events: EcsEvent[], modelDir: string, o: TrainOptions & { use?: boolean } = {}): Promise<{ id: string; files: ModelFiles }> {
  const files = await trainAutoencoder(events, o);
  const id = await storeModel(modelDir, files);
  if (o.use) await writeCurrentModelId(modelDir, id);
  return { id, files };
}
