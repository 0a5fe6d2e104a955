// `ghostbridge model train --from <events.jsonl> --data DIR`: trains the site's vectorizer
// (an autoencoder) on the flow events of a log and stores it, content-addressed, in
// <data>/metadata/model/<id>/. With --use it becomes the model `run` loads.
import type { CommandModule } from 'yargs';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { modelDirOf, trainSiteModel } from '../../pipeline/index.ts';
import type { EcsEvent } from '../../pipeline/index.ts';

interface Args {
  action: 'train';
  from: string;
  data?: string;
  'model-dir'?: string;
  epochs: number;
  dimension: number;
  use: boolean;
}

/** Reads a JSON-lines log; a line that is not a JSON object stops with its line number. */
async function readEvents(path: string): Promise<EcsEvent[]> {
  const events: EcsEvent[] = [];
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new Error(`${path}:${line}: not JSON (${(err as Error).message})`);
    }
    const event = value as EcsEvent;
    if (typeof event !== 'object' || event === null || typeof event.event?.action !== 'string' || typeof event['@timestamp'] !== 'string') {
      throw new Error(`${path}:${line}: not a GhostBridge event (no event.action or @timestamp)`);
    }
    events.push(event);
  }
  return events;
}

export const modelCommand: CommandModule<object, Args> = {
  command: 'model <action>',
  describe: "train the site's vectorizer model from an event log",
  builder: (y) =>
    y
      .positional('action', { choices: ['train'] as const, demandOption: true })
      .option('from', { type: 'string', demandOption: true, describe: 'events.jsonl to learn from' })
      .option('data', { type: 'string', describe: 'the data directory (models go to <data>/metadata/model)' })
      .option('model-dir', { type: 'string', describe: 'store the model here instead of under --data' })
      .option('epochs', { type: 'number', default: 30 })
      .option('dimension', { type: 'number', default: 16, describe: 'vector dimension (at most 48)' })
      .option('use', { type: 'boolean', default: false, describe: 'make the new model the current one' })
      .check((a) => {
        if (!a.data && !a['model-dir']) throw new Error('give --data DIR (or --model-dir DIR)');
        if (!Number.isInteger(a.epochs) || a.epochs < 1) throw new Error('--epochs must be a positive integer');
        return true;
      }),
  handler: async (args) => {
    const modelDir = args['model-dir'] ?? modelDirOf(args.data!);
    const events = await readEvents(args.from);
    const { id, files } = await trainSiteModel(events, modelDir, {
      epochs: args.epochs,
      dimension: args.dimension,
      use: args.use,
      source: args.from,
      log: (m) => console.error(m),
    });
    console.log(`model ${id}`);
    console.log(`stored in ${modelDir}/${id} (${files.json.training?.events} flow events, final loss ${Number(files.json.training?.finalLoss).toFixed(5)})${args.use ? '; now current' : ''}`);
  },
};
