// `ghostbridge index rebuild --data DIR --index DIR`: recreates the vector index from
// events.jsonl with the model the blocks name (the newest block that names one; else the data
// directory's current model). Reads the log without its lock, so it also works beside a
// running writer, but the index itself takes one writer at a time (stop `run` first).
import type { CommandModule } from 'yargs';
import { openIndexing } from '../../controller/index.ts';
import { modelDirOf } from '../../pipeline/index.ts';
import { modelOfBlocks, openLogReader, rebuildIndex, type IndexBackend } from '../../storage/index.ts';

interface Args {
  action: 'rebuild';
  data: string;
  index: string;
  backend: IndexBackend;
  'qdrant-url'?: string;
  'qdrant-collection'?: string;
}

export const indexCommand: CommandModule<object, Args> = {
  command: 'index <action>',
  describe: 'rebuild the vector index from the event log',
  builder: (y) =>
    y
      .positional('action', { choices: ['rebuild'] as const, demandOption: true })
      .option('data', { type: 'string', demandOption: true, describe: 'the data directory' })
      .option('index', { type: 'string', default: './index', describe: 'embedded index directory (outside <data>)' })
      .option('backend', { choices: ['embedded', 'qdrant'] as const, default: 'embedded' as IndexBackend, describe: 'where the index lives' })
      .option('qdrant-url', { type: 'string', describe: 'Qdrant REST URL, e.g. http://127.0.0.1:6333 (qdrant backend)' })
      .option('qdrant-collection', { type: 'string', default: 'ghostbridge', describe: 'Qdrant collection name' }),
  handler: async (args) => {
    const started = performance.now();
    const model = modelOfBlocks(args.data) ?? undefined;
    const reader = openLogReader(args.data);
    try {
      const indexing = await openIndexing(
        { backend: args.backend, indexDir: args.index, dataDir: args.data, qdrantUrl: args['qdrant-url'], qdrantCollection: args['qdrant-collection'], modelDir: modelDirOf(args.data), model, reset: true },
        reader,
        () => {},
        (m) => console.error(m),
      );
      try {
        const r = await rebuildIndex(indexing.feed.index, reader, indexing.vectorize);
        console.log(`rebuilt the ${args.backend} index with model ${indexing.vectorizer.modelId}${model ? ' (named by the blocks)' : ' (no block names a model: the current one)'}: ${r.vectors} vectors, watermark ${r.watermark}, ${((performance.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        await indexing.close();
      }
    } finally {
      reader.close();
    }
  },
};
