// A vectorizer model on disk: model.json (TensorFlow.js layers topology and weights manifest,
// plus feature normalization and provenance) and weights.bin (little-endian float32, the
// manifest's order). A model's id is the SHA-256 of its topology, normalization and weights,
// and it lives in <modelDir>/<id>/, so a block header naming an id names exact arithmetic.
import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const MODEL_FORMAT = 'ghostbridge-vectorizer/1';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface ModelJson {
  format: typeof MODEL_FORMAT;
  featuresVersion: number;
  features: string[];
  normalization: { mean: number[]; std: number[] };
  /** The layer whose output, L2-normalized, is the event's vector. */
  embeddingLayer: string;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  /** How the model was made; not part of the id. */
  training?: Record<string, unknown>;
}

export interface ModelFiles {
  json: ModelJson;
  weights: Uint8Array;
}

/** Canonical JSON: object keys sorted, so the id does not depend on key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function modelId(files: ModelFiles): string {
  const { json } = files;
  const described = canonical({
    format: json.format,
    featuresVersion: json.featuresVersion,
    features: json.features,
    normalization: json.normalization,
    embeddingLayer: json.embeddingLayer,
    modelTopology: json.modelTopology,
    weightsManifest: json.weightsManifest,
  });
  return createHash('sha256').update(described).update('\n').update(files.weights).digest('hex');
}

export async function readModelDir(dir: string): Promise<ModelFiles> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJson;
  if (json.format !== MODEL_FORMAT) throw new Error(`${dir}/model.json: not a GhostBridge vectorizer model (format ${String(json.format)})`);
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  if (paths.length !== 1 || paths[0] !== 'weights.bin') throw new Error(`${dir}/model.json: expected one weights file, weights.bin`);
  return { json, weights: new Uint8Array(await readFile(join(dir, 'weights.bin'))) };
}

/** Reads <modelDir>/<id>/ and checks that its content still hashes to its id. */
export async function readStoredModel(modelDir: string, id: string): Promise<ModelFiles> {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`a model id is 64 hex digits, got ${JSON.stringify(id)}`);
  const files = await readModelDir(join(modelDir, id));
  const actual = modelId(files);
  if (actual !== id) throw new Error(`model ${id} in ${modelDir} is damaged: its content hashes to ${actual}`);
  return files;
}

/** Stores the model under its id (write to a temporary directory, then rename). */
export async function storeModel(modelDir: string, files: ModelFiles): Promise<string> {
  const id = modelId(files);
  const target = join(modelDir, id);
  try {
    await readStoredModel(modelDir, id);
    return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(modelDir, { recursive: true });
  const temporary = join(modelDir, `.${id}.${process.pid}.tmp`);
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary);
  await writeFile(join(temporary, 'model.json'), JSON.stringify(files.json, null, 1) + '\n');
  await writeFile(join(temporary, 'weights.bin'), files.weights);
  await rename(temporary, target);
  return id;
}

/** The model a data directory uses: the id in <modelDir>/current, if there is one. */
export async function readCurrentModelId(modelDir: string): Promise<string | null> {
  try {
    return (await readFile(join(modelDir, 'current'), 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function writeCurrentModelId(modelDir: string, id: string): Promise<void> {
  await mkdir(modelDir, { recursive: true });
  const temporary = join(modelDir, `.current.${process.pid}.tmp`);
  await writeFile(temporary, id + '\n');
  await rename(temporary, join(modelDir, 'current'));
}
