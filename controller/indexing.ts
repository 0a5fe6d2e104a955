// The controller's side of the vector index: the pipeline's vectorizer (for events read back
// from the log) joined to a storage index backend. Used by `ghostbridge run` (live feed) and
// `ghostbridge index rebuild`.
import { createVectorizer, type EcsEvent, type EventVectorizer } from '../pipeline/index.ts';
import { IndexFeed, openVectorIndex, type IndexBackend, type LogSource, type RecordVectorizer } from '../storage/index.ts';

export interface IndexingOptions {
  backend: IndexBackend;
  /** The embedded index directory (outside <data>). */
  indexDir: string;
  dataDir: string;
  qdrantUrl?: string;
  qdrantCollection?: string;
  /** <data>/metadata/model/. */
  modelDir: string;
  /** The model id to vectorize with (default: the data directory's current model). */
  model?: string;
  /** Start the index empty (a rebuild). */
  reset?: boolean;
  /** qdrant: a server that is down now is connected to later (the feed retries). */
  connectLater?: boolean;
}

/** Events read back from the log (seq, prev and hash beside the event's own fields) to vectors. */
function recordVectorizer(vectorizer: EventVectorizer): RecordVectorizer {
  return async (records) => (await vectorizer.vectorize(records as unknown as EcsEvent[])).map((v) => v.vector);
}

export interface Indexing {
  feed: IndexFeed;
  vectorizer: EventVectorizer;
  vectorize: RecordVectorizer;
  close(): Promise<void>;
}

export async function openIndexing(o: IndexingOptions, log: LogSource, onError: (err: Error) => void, note: (m: string) => void): Promise<Indexing> {
  const vectorizer = await createVectorizer({ modelDir: o.modelDir, model: o.model, log: note });
  try {
    const index = await openVectorIndex({
      backend: o.backend,
      dir: o.indexDir,
      dataDir: o.dataDir,
      qdrantUrl: o.qdrantUrl,
      qdrantCollection: o.qdrantCollection,
      model: vectorizer.modelId,
      dimension: vectorizer.dimension,
      reset: o.reset,
      connectLater: o.connectLater,
    });
    for (const r of index.repairs) note(`vector index: ${r}`);
    const vectorize = recordVectorizer(vectorizer);
    const feed = new IndexFeed({ index, log, vectorize, onError });
    return {
      feed,
      vectorizer,
      vectorize,
      async close() {
        await feed.close();
        await vectorizer.close();
      },
    };
  } catch (err) {
    await vectorizer.close();
    throw err;
  }
}
