// TensorFlow.js set-up and conversion between tfjs LayersModels and the model files.
// The wasm backend's .wasm files ship inside @tensorflow/tfjs-backend-wasm; they are loaded
// from node_modules by file path (no network). @tensorflow/tfjs-node is used instead when it
// is installed and loads.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { ModelFiles, ModelJson, WeightSpec } from './model-files.ts';
import { MODEL_FORMAT } from './model-files.ts';
import { FEATURE_NAMES, FEATURES_VERSION } from './features.ts';

export { tf };

let ready: Promise<string> | null = null;

/** Picks the backend once per process: tfjs-node if present, else wasm, else cpu. */
export function initTfjs(preferred?: 'wasm' | 'cpu'): Promise<string> {
  ready ??= (async () => {
    if (preferred === 'cpu') {
      await tf.setBackend('cpu');
      return 'cpu';
    }
    try {
      // Optional: not a dependency; when installed it registers the 'tensorflow' backend.
      const nodeBackend = '@tensorflow/tfjs-node';
      await import(nodeBackend);
      if (await tf.setBackend('tensorflow')) return 'tensorflow';
    } catch {
      // Not installed (the usual case here): fall through to wasm.
    }
    const require = createRequire(import.meta.url);
    setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
    if (await tf.setBackend('wasm')) return 'wasm';
    await tf.setBackend('cpu');
    return 'cpu';
  })();
  return ready;
}

/** Builds a tfjs LayersModel holding the files' topology and weights. */
export async function toLayersModel(files: ModelFiles): Promise<tf.LayersModel> {
  const w = files.weights;
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: files.json.modelTopology as tf.io.ModelJSON['modelTopology'],
      weightSpecs: files.json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
      weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer,
    }),
  );
}

/** Saves a trained LayersModel with its normalization as model files. */
export async function fromLayersModel(
  model: tf.LayersModel,
  normalization: ModelJson['normalization'],
  embeddingLayer: string,
  training: Record<string, unknown>,
): Promise<ModelFiles> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const artifacts = saved as unknown as tf.io.ModelArtifacts;
  const data = artifacts.weightData;
  const weights = new Uint8Array(Array.isArray(data) ? await new Blob(data).arrayBuffer() : (data as ArrayBuffer));
  return {
    json: {
      format: MODEL_FORMAT,
      featuresVersion: FEATURES_VERSION,
      features: [...FEATURE_NAMES],
      normalization,
      embeddingLayer,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: (artifacts.weightSpecs ?? []) as WeightSpec[] }],
      training,
    },
    weights: Uint8Array.from(weights),
  };
}
