// The 'tfjs' engine: the model run by TensorFlow.js (wasm backend). Large batches amortize
// its per-call overhead; results agree with the exact engine within the tolerance in
// docs/pipeline.md, not bit for bit (XNNPACK sums in its own order).
import type { ModelFiles } from './model-files.ts';
import type { ForwardResult } from './dense.ts';
import { DenseModel, embedAndScore } from './dense.ts';
import { FEATURE_COUNT } from './features.ts';
import { initTfjs, tf, toLayersModel } from './tfjs.ts';

export class TfjsEngine {
  readonly dimension: number;
  readonly #model: tf.LayersModel;
  readonly #both: tf.LayersModel;
  // Normalization is shared with the exact engine, so both see identical inputs.
  readonly #normalizer: DenseModel;

  private constructor(model: tf.LayersModel, normalizer: DenseModel, embeddingLayer: string) {
    this.#model = model;
    this.#normalizer = normalizer;
    this.dimension = normalizer.dimension;
    const embedding = model.getLayer(embeddingLayer).output as tf.SymbolicTensor;
    this.#both = tf.model({ inputs: model.inputs, outputs: [embedding, model.outputs[0]!] });
  }

  static async load(files: ModelFiles): Promise<TfjsEngine> {
    await initTfjs();
    return new TfjsEngine(await toLayersModel(files), new DenseModel(files), files.json.embeddingLayer);
  }

  forward(features: Float32Array, rows: number): ForwardResult {
    this.#normalizer.normalize(features, rows);
    const [embedding, reconstruction] = tf.tidy(() => {
      const x = tf.tensor2d(features.subarray(0, rows * FEATURE_COUNT), [rows, FEATURE_COUNT]);
      const [e, r] = this.#both.predict(x) as tf.Tensor[];
      return [e!.dataSync() as Float32Array, r!.dataSync() as Float32Array];
    });
    return embedAndScore(embedding!, reconstruction!, features, rows, this.dimension);
  }

  dispose(): void {
    this.#model.dispose();
  }
}
