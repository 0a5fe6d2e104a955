// `ghostbridge init --data DIR [--btrfs] [--key FILE]`: prepares a data directory.
import type { CommandModule } from 'yargs';
import { initData } from '../../storage/index.ts';

interface Args {
  data: string;
  btrfs?: boolean;
  key?: string;
}

export const initCommand: CommandModule<object, Args> = {
  command: 'init',
  describe: 'prepare a data directory (with --btrfs: create or find a btrfs subvolume) and its signing key',
  builder: (y) =>
    y
      .option('data', { type: 'string', demandOption: true, describe: 'the data directory' })
      .option('btrfs', { type: 'boolean', describe: 'make <data> a btrfs subvolume; blocks become read-only snapshots (default for a new <data>: a plain directory)' })
      .option('key', { type: 'string', describe: 'Ed25519 private key file, outside <data> (default: <data>.signing-key.pem)' }),
  handler: async (args) => {
    const r = await initData({ dir: args.data, btrfs: args.btrfs, keyFile: args.key });
    console.log(`${r.created ? 'initialised' : 'found'} ${r.dir} (${r.backend} backend)`);
    console.log(`signing key: ${r.keyFile} (mode 0600); public key: ${r.publicKeyFile}`);
  },
};
