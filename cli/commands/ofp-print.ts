// `ghostbridge ofp-print [FILE]`: raw OpenFlow 1.3 bytes (a stream of messages, from FILE or
// stdin) to one JSON object per line. A message that does not decode is reported on stderr
// with its bytes in hex and the rest still printed; the exit code is then 1.
import { createReadStream } from 'node:fs';
import type { CommandModule } from 'yargs';
import { decodeMessage, messageToJson, OfpFramer } from '../../openflow/index.ts';

interface Args {
  file?: string;
}

export const ofpPrint: CommandModule<object, Args> = {
  command: 'ofp-print [file]',
  describe: 'print OpenFlow 1.3 messages (raw bytes from FILE or stdin) as JSON, one per line',
  builder: (y) => y.positional('file', { type: 'string', describe: 'file of raw OpenFlow bytes (default: stdin)' }),
  handler: async (args) => {
    const input = args.file === undefined ? process.stdin : createReadStream(args.file);
    const framer = new OfpFramer();
    let bad = 0;
    let offset = 0;
    const out: string[] = [];
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        for (const frame of framer.push(chunk)) {
          if (!(frame instanceof Uint8Array)) {
            process.stderr.write(`ofp-print: stream broken at byte ${offset}: ${frame.message}\n`);
            bad++;
            break;
          }
          const r = decodeMessage(frame);
          if (r.ok) out.push(JSON.stringify(messageToJson(r.message)));
          else {
            bad++;
            process.stderr.write(`ofp-print: message at byte ${offset}: ${r.error.code}: ${r.error.message} (bytes ${Buffer.from(frame).toString('hex')})\n`);
          }
          offset += frame.length;
        }
        if (out.length > 0) process.stdout.write(out.splice(0).join('\n') + '\n');
        if (framer.error) break;
      }
    } catch (e) {
      process.stderr.write(`ofp-print: cannot read ${args.file ?? 'stdin'}: ${(e as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    if (!framer.error && framer.buffered > 0) {
      process.stderr.write(`ofp-print: ${framer.buffered} bytes at the end are an incomplete message\n`);
      bad++;
    }
    if (bad > 0) process.exitCode = 1;
  },
};
