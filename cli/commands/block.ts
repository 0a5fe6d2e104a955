// `ghostbridge block cut|list --data DIR`: cut a block now, or list the block headers.
import type { CommandModule } from 'yargs';
import { listHeaderFiles, layout, openEventLog, readHeader, snapshotName } from '../../storage/index.ts';

interface Args {
  action: 'cut' | 'list';
  data: string;
  key?: string;
  model?: string;
}

export const blockCommand: CommandModule<object, Args> = {
  command: 'block <action>',
  describe: 'cut a block now (when no writer is running) or list the blocks',
  builder: (y) =>
    y
      .positional('action', { choices: ['cut', 'list'] as const, demandOption: true })
      .option('data', { type: 'string', demandOption: true, describe: 'the data directory' })
      .option('key', { type: 'string', describe: 'Ed25519 private key file (default: <data>.signing-key.pem)' })
      .option('model', { type: 'string', describe: 'vectorizer model id to record in the header' }),
  handler: async (args) => {
    if (args.action === 'list') {
      for (const f of listHeaderFiles(layout(args.data).blocks)) {
        const h = readHeader(f.path);
        console.log(`${snapshotName(h)}  seq ${h.firstSeq}..${h.lastSeq}  ${h.byteLength} bytes  ${h.time}  root ${h.merkleRoot.slice(0, 16)}`);
      }
      return;
    }
    // A running writer holds the lock; opening fails then with a message that says so.
    const log = await openEventLog({ dir: args.data, keyFile: args.key, model: args.model ?? null });
    try {
      for (const r of log.repairs) console.log(`repaired: ${r}`);
      const h = await log.cutBlock();
      console.log(h ? `cut ${snapshotName(h)}: seq ${h.firstSeq}..${h.lastSeq}` : 'nothing to cut: every event is in a block');
    } finally {
      await log.close();
    }
  },
};
