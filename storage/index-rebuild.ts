// Opening a vector index by backend, and rebuilding one from events.jsonl with the model the
// blocks name.
import { realpathSync } from 'node:fs';
import { dirname, basename, join, relative, isAbsolute, resolve } from 'node:path';
import { listHeaderFiles, readHeader } from './block-header.ts';
import { layout } from './layout.ts';
import { openEmbeddedIndex } from './embedded-index.ts';
import { QdrantIndex } from './qdrant-index.ts';
import { IndexFeed, type LogSource, type RecordVectorizer } from './index-feed.ts';
import type { IndexIdentity, VectorIndex } from './vector-index.ts';

export type IndexBackend = 'embedded' | 'qdrant';

export interface IndexOptions extends IndexIdentity {
  backend: IndexBackend;
  /** The embedded index's directory; must not be inside <data> (blocks would snapshot it). */
  dir: string;
  /** <data>, to refuse an index directory inside it. */
  dataDir: string;
  qdrantUrl?: string;
  qdrantCollection?: string;
  reset?: boolean;
  /** qdrant: do not wait for the server; connect on first use and retry (a server down at start). */
  connectLater?: boolean;
}

/** The path with symlinks resolved as far as it exists (the rest may not exist yet). */
function realish(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(realish(parent), basename(abs));
  }
}

export function isInside(child: string, parent: string): boolean {
  const rel = relative(realish(parent), realish(child));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export async function openVectorIndex(o: IndexOptions): Promise<VectorIndex> {
  if (o.backend === 'qdrant') {
    if (!o.qdrantUrl) throw new Error('the qdrant backend needs a URL (--qdrant-url)');
    const opts = { url: o.qdrantUrl, collection: o.qdrantCollection, model: o.model, dimension: o.dimension, reset: o.reset };
    return o.connectLater ? QdrantIndex.connectLater(opts) : QdrantIndex.open(opts);
  }
  if (isInside(o.dir, o.dataDir)) throw new Error(`the index directory ${o.dir} is inside the data directory ${o.dataDir}; put it beside it (it is derived data, never snapshotted)`);
  return openEmbeddedIndex({ dir: o.dir, model: o.model, dimension: o.dimension, reset: o.reset });
}

/** The vectorizer model the newest block that names one records, or null. */
export function modelOfBlocks(dataDir: string): string | null {
  const files = listHeaderFiles(layout(dataDir).blocks);
  for (let i = files.length - 1; i >= 0; i--) {
    const model = readHeader(files[i]!.path).model;
    if (model) return model;
  }
  return null;
}

export interface RebuildResult {
  watermark: number;
  vectors: number;
}

/** Fills an empty index (opened with reset) from the whole log. */
export async function rebuildIndex(index: VectorIndex, log: LogSource, vectorize: RecordVectorizer): Promise<RebuildResult> {
  if (index.watermark !== -1) throw new Error('rebuild needs an empty index (open it with reset)');
  await new IndexFeed({ index, log, vectorize }).catchUp();
  return { watermark: index.watermark, vectors: await index.count() };
}
