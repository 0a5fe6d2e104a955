// `ghostbridge ofp-encode [FILE]`: JSON messages, one per line (the form ofp-print prints),
// to raw OpenFlow 1.3 bytes on stdout. A line that is not a valid message is reported on
// stderr with its line number and skipped; the exit code is then 1.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CommandModule } from 'yargs';
import { BufferWriter, encodeInto, messageFromJson } from '../../openflow/index.ts';

interface Args {
  file?: string;
}

const FLUSH_AT = 1 << 16;

export const ofpEncode: CommandModule<object, Args> = {
  command: 'ofp-encode [file]',
  describe: 'encode JSON messages (one per line, as ofp-print prints them, from FILE or stdin) to raw OpenFlow 1.3 bytes',
  builder: (y) => y.positional('file', { type: 'string', describe: 'file of JSON lines (default: stdin)' }),
  handler: async (args) => {
    const input = args.file === undefined ? process.stdin : createReadStream(args.file);
    const w = new BufferWriter();
    let bad = 0;
    let lineNo = 0;
    try {
      for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        lineNo++;
        if (line.trim() === '') continue;
        try {
          encodeInto(w, messageFromJson(JSON.parse(line)));
        } catch (e) {
          bad++;
          process.stderr.write(`ofp-encode: line ${lineNo}: ${(e as Error).message}\n`);
        }
        if (w.pos >= FLUSH_AT) process.stdout.write(w.finish());
      }
    } catch (e) {
      process.stderr.write(`ofp-encode: cannot read ${args.file ?? 'stdin'}: ${(e as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    if (w.pos > 0) process.stdout.write(w.finish());
    if (bad > 0) process.exitCode = 1;
  },
};
