// `ghostbridge proof --data DIR SEQ`: prints an RFC 6962 inclusion proof of event SEQ in its
// block, as JSON. `ghostbridge proof --check FILE --public-key PEM` checks one on its own.
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { checkEventProof, proveInclusion, readProofFile } from '../../storage/index.ts';

interface Args {
  seq?: number;
  data?: string;
  check?: string;
  'public-key'?: string;
}

export const proofCommand: CommandModule<object, Args> = {
  command: 'proof [seq]',
  describe: 'print an inclusion proof of event SEQ in its block, or check one (--check)',
  builder: (y) =>
    y
      .positional('seq', { type: 'number', describe: 'the event' })
      .option('data', { type: 'string', describe: 'the data directory' })
      .option('check', { type: 'string', describe: 'a proof file (JSON) to check instead' })
      .option('public-key', { type: 'string', describe: 'the public key (PEM) to check the header signature with' })
      .check((a) => {
        if (a.check) {
          if (!a['public-key']) throw new Error('--check needs --public-key');
        } else if (!a.data || a.seq === undefined || !Number.isSafeInteger(a.seq) || a.seq < 0) {
          throw new Error('give --data DIR and a seq (a whole number ≥ 0), or --check FILE');
        }
        return true;
      }),
  handler: (args) => {
    if (args.check) {
      const r = checkEventProof(readProofFile(args.check), readFileSync(args['public-key']!));
      if (r.ok) console.log('ok: the event is in the signed block');
      else {
        console.error(`FAILED: ${r.reason}`);
        process.exitCode = 1;
      }
      return;
    }
    console.log(JSON.stringify(proveInclusion(args.data!, args.seq!), null, 2));
  },
};
