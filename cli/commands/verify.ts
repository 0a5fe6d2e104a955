// `ghostbridge verify --data DIR`: exit 0 when the log, the headers and the snapshots all
// hold; otherwise print the first bad seq or block (then any other problem) and exit 1.
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { verify } from '../../storage/index.ts';

interface Args {
  data: string;
  'public-key'?: string;
}

export const verifyCommand: CommandModule<object, Args> = {
  command: 'verify',
  describe: 'check every line, header, signature and snapshot of a data directory',
  builder: (y) =>
    y
      .option('data', { type: 'string', demandOption: true, describe: 'the data directory' })
      .option('public-key', { type: 'string', describe: 'trust this public key (PEM) rather than the one in <data>/metadata' }),
  handler: async (args) => {
    const started = performance.now();
    const pin = args['public-key'];
    const r = await verify(args.data, { publicKey: pin ? readFileSync(pin) : undefined });
    const seconds = (performance.now() - started) / 1000;
    for (const n of r.notes) console.log(`note: ${n}`);
    if (!r.ok) {
      const [first, ...rest] = r.problems;
      console.error(`FAILED: ${first.message}`);
      for (const p of rest) console.error(`also: ${p.message}`);
      process.exitCode = 1;
      return;
    }
    const mb = r.bytes / 1e6;
    console.log(`ok: ${r.events} events, ${r.blocks} blocks, ${r.snapshots} snapshots, ${mb.toFixed(1)} MB in ${seconds.toFixed(2)} s`);
  },
};
