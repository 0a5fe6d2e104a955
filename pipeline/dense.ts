// The vectorizer's forward pass in plain Float32Array arithmetic. It reproduces TensorFlow.js's
// CPU backend operation for operation: the matMul sums products in double precision in
// blocks of 48 along the shared dimension, rounding to float32 after each block; the bias is
// added in float32; ReLU is max(0, x). So its output equals tfjs-cpu's bit for bit (a test
// checks), is independent of batch size, and is the same on every run. tfjs-wasm (XNNPACK)
// sums in a different order; its output agrees to a tolerance docs/pipeline.md states.
import type { ModelFiles } from './model-files.ts';
import { FEATURE_COUNT, FEATURES_VERSION } from './features.ts';

const TFJS_CPU_BLOCK = 48;

interface DenseLayer {
  name: string;
  inputs: number;
  units: number;
  /** Kernel transposed to [units][inputs], so the inner loop reads contiguously; float32 values held as float64 (no conversion per product). */
  kernelT: Float64Array;
  bias: Float32Array;
  relu: boolean;
}

interface LayerConfig {
  class_name: string;
  config: { name: string; units: number; activation: string; use_bias: boolean };
}

export interface ForwardResult {
  /** L2-normalized embeddings, `dimension` floats per row. */
  vectors: Float32Array;
  /** Mean squared reconstruction error per row, in the normalized feature space. */
  anomalies: Float64Array;
}

export class DenseModel {
  readonly layers: DenseLayer[];
  readonly dimension: number;
  readonly #embeddingIndex: number;
  readonly #mean: Float32Array;
  readonly #scale: Float32Array;
  /** One row's output per hidden layer, reused across rows. */
  readonly #scratch: Float32Array[];

  constructor(files: ModelFiles) {
    const { json, weights } = files;
    if (json.featuresVersion !== FEATURES_VERSION || json.features.length !== FEATURE_COUNT) {
      throw new Error(`model expects features version ${json.featuresVersion} (${json.features.length} features); this pipeline computes version ${FEATURES_VERSION} (${FEATURE_COUNT})`);
    }
    const topology = json.modelTopology as { config?: { layers?: LayerConfig[] } };
    const configs = (topology.config?.layers ?? []).filter((l) => l.class_name !== 'InputLayer');
    const specs = json.weightsManifest.flatMap((g) => g.weights);
    const floats = new Float32Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
    // Weights lie in weights.bin one after another, in manifest order.
    const placed = new Map<string, { at: number; size: number }>();
    let total = 0;
    for (const spec of specs) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      placed.set(spec.name, { at: total, size });
      total += size;
    }
    if (total !== floats.length) throw new Error(`model weights.bin holds ${floats.length} floats; the manifest describes ${total}`);
    const take = (name: string, size: number): Float32Array => {
      const place = placed.get(name);
      if (!place || place.size !== size) throw new Error(`model weight ${name} is missing or has the wrong shape`);
      return floats.subarray(place.at, place.at + size);
    };
    let inputs: number = FEATURE_COUNT;
    this.layers = configs.map((l) => {
      const c = l.config;
      if (l.class_name !== 'Dense' || !['relu', 'linear'].includes(c.activation) || !c.use_bias) {
        throw new Error(`unsupported layer ${c.name} (${l.class_name}, ${c.activation}); the vectorizer runs Dense layers with bias and relu or linear activation`);
      }
      const kernel = take(`${c.name}/kernel`, inputs * c.units);
      const kernelT = new Float64Array(inputs * c.units);
      for (let k = 0; k < inputs; k++) for (let j = 0; j < c.units; j++) kernelT[j * inputs + k] = kernel[k * c.units + j]!;
      const layer = { name: c.name, inputs, units: c.units, kernelT, bias: Float32Array.from(take(`${c.name}/bias`, c.units)), relu: c.activation === 'relu' };
      inputs = c.units;
      return layer;
    });
    if (inputs !== FEATURE_COUNT) throw new Error(`model is not an autoencoder: it ends with ${inputs} outputs, not ${FEATURE_COUNT}`);
    this.#embeddingIndex = this.layers.findIndex((l) => l.name === json.embeddingLayer);
    if (this.#embeddingIndex < 0) throw new Error(`model has no layer ${json.embeddingLayer}`);
    this.dimension = this.layers[this.#embeddingIndex]!.units;
    this.#mean = Float32Array.from(json.normalization.mean);
    this.#scale = scaleOf(json.normalization.std);
    this.#scratch = this.layers.map((l) => new Float32Array(l.units));
  }

  /** Standardizes features in place (see standardize). */
  normalize(features: Float32Array, rows: number): void {
    standardize(features, rows, this.#mean, this.#scale);
  }

  /**
   * One row through one layer (input at inAt, output at outAt), as tfjs-cpu's fused matMul
   * computes it. Four units are summed side by side: each unit's sum still adds its products
   * in tfjs's order (so the result is unchanged), but the four chains of additions overlap
   * instead of each waiting on the previous addition, which had bounded the loop.
   */
  static applyRow(layer: DenseLayer, input: Float32Array, inAt: number, out: Float32Array, outAt: number): void {
    const { inputs, units, kernelT, bias, relu } = layer;
    let j = 0;
    for (; j + 4 <= units; j += 4) {
      const w0 = j * inputs;
      const w1 = w0 + inputs;
      const w2 = w1 + inputs;
      const w3 = w2 + inputs;
      let acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
      for (let k0 = 0; k0 < inputs; k0 += TFJS_CPU_BLOCK) {
        const end = k0 + TFJS_CPU_BLOCK < inputs ? k0 + TFJS_CPU_BLOCK : inputs;
        let sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0;
        for (let k = k0; k < end; k++) {
          const x = input[inAt + k]!;
          sum0 += x * kernelT[w0 + k]!;
          sum1 += x * kernelT[w1 + k]!;
          sum2 += x * kernelT[w2 + k]!;
          sum3 += x * kernelT[w3 + k]!;
        }
        acc0 = Math.fround(acc0 + sum0);
        acc1 = Math.fround(acc1 + sum1);
        acc2 = Math.fround(acc2 + sum2);
        acc3 = Math.fround(acc3 + sum3);
      }
      out[outAt + j] = activate(acc0, bias[j]!, relu);
      out[outAt + j + 1] = activate(acc1, bias[j + 1]!, relu);
      out[outAt + j + 2] = activate(acc2, bias[j + 2]!, relu);
      out[outAt + j + 3] = activate(acc3, bias[j + 3]!, relu);
    }
    for (; j < units; j++) {
      const w = j * inputs;
      let acc = 0;
      for (let k0 = 0; k0 < inputs; k0 += TFJS_CPU_BLOCK) {
        const end = k0 + TFJS_CPU_BLOCK < inputs ? k0 + TFJS_CPU_BLOCK : inputs;
        let sum = 0;
        for (let k = k0; k < end; k++) sum += input[inAt + k]! * kernelT[w + k]!;
        acc = Math.fround(acc + sum);
      }
      out[outAt + j] = activate(acc, bias[j]!, relu);
    }
  }

  /** Normalized features (rows × FEATURE_COUNT) to the outputs of every layer, layer by layer. */
  activations(normalized: Float32Array, rows: number): Float32Array[] {
    const outputs: Float32Array[] = [];
    let current = normalized;
    for (const layer of this.layers) {
      const out = new Float32Array(rows * layer.units);
      for (let r = 0; r < rows; r++) DenseModel.applyRow(layer, current, r * layer.inputs, out, r * layer.units);
      outputs.push(out);
      current = out;
    }
    return outputs;
  }

  /**
   * Raw features (rows × FEATURE_COUNT, overwritten by their normalized form) to vectors and
   * anomaly scores. Runs row by row through all layers, so the working set stays in cache
   * whatever the batch size; the arithmetic is activations()'s, value for value.
   */
  forward(features: Float32Array, rows: number): ForwardResult {
    const reconstruction = new Float32Array(rows * FEATURE_COUNT);
    const embedding = this.#run(features, rows, reconstruction);
    return embedAndScore(embedding, reconstruction, features, rows, this.dimension);
  }

  /**
   * The vectors alone, equal to forward()'s: only the layers up to the embedding run. The
   * decoder half, which only the anomaly score needs, is about half the arithmetic.
   */
  embed(features: Float32Array, rows: number): Float32Array {
    const embedding = this.#run(features, rows, null);
    unitRows(embedding, rows, this.dimension);
    return embedding;
  }

  /**
   * Normalizes the features in place and runs each row through the layers, up to the
   * embedding or (with `reconstruction`) through the last layer; returns the raw embeddings.
   */
  #run(features: Float32Array, rows: number, reconstruction: Float32Array | null): Float32Array {
    this.normalize(features, rows);
    const d = this.dimension;
    const last = reconstruction ? this.layers.length - 1 : this.#embeddingIndex;
    const embedding = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) {
      let input = features;
      let inAt = r * FEATURE_COUNT;
      for (let l = 0; l <= last; l++) {
        // Plain locals, not a destructured pair: that allocated an array per layer and row.
        let out = this.#scratch[l]!;
        let outAt = 0;
        if (l === this.#embeddingIndex) {
          out = embedding;
          outAt = r * d;
        } else if (l === last) {
          out = reconstruction!;
          outAt = r * FEATURE_COUNT;
        }
        DenseModel.applyRow(this.layers[l]!, input, inAt, out, outAt);
        input = out;
        inAt = outAt;
      }
    }
    return embedding;
  }
}

/** The bias added in float32, then ReLU as max(0, x) where the layer has it. */
function activate(acc: number, bias: number, relu: boolean): number {
  const y = Math.fround(acc + bias);
  return relu ? Math.max(0, y) : y;
}

/** 1 / std per feature; constant features (std 0) normalize to 0 instead of dividing by zero. */
export function scaleOf(std: number[]): Float32Array {
  return Float32Array.from(std, (s) => (s > 0 ? 1 / s : 0));
}

/** In place, column by column: float32(float32(x - mean) * scale). Training and both engines use this. */
export function standardize(features: Float32Array, rows: number, mean: Float32Array, scale: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const at = r * FEATURE_COUNT;
    for (let c = 0; c < FEATURE_COUNT; c++) features[at + c] = Math.fround(features[at + c]! - mean[c]!) * scale[c]!;
  }
}

/**
 * The last step of either engine: L2-normalizes each embedding row (unitRows) and scores
 * each row by its mean squared reconstruction error.
 */
export function embedAndScore(embedding: Float32Array, reconstruction: Float32Array, normalized: Float32Array, rows: number, d: number): ForwardResult {
  const anomalies = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let error = 0;
    for (let c = 0; c < FEATURE_COUNT; c++) {
      const diff = reconstruction[r * FEATURE_COUNT + c]! - normalized[r * FEATURE_COUNT + c]!;
      error += diff * diff;
    }
    anomalies[r] = error / FEATURE_COUNT;
  }
  return { vectors: unitRows(embedding.slice(0, rows * d), rows, d), anomalies };
}

/** L2-normalizes each of the first `rows` rows of `d` floats in `v` in place (an all-zero row stays zero rather than NaN); returns `v`. */
function unitRows(v: Float32Array, rows: number, d: number): Float32Array {
  for (let r = 0; r < rows; r++) {
    let squares = 0;
    for (let i = 0; i < d; i++) squares += v[r * d + i]! * v[r * d + i]!;
    const inverse = squares > 0 ? 1 / Math.sqrt(squares) : 0;
    for (let i = 0; i < d; i++) v[r * d + i] = v[r * d + i]! * inverse;
  }
  return v;
}
