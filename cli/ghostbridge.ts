#!/usr/bin/env node
// The `ghostbridge` command. Each subcommand lives in its own module under cli/commands/
// and is registered here; the commands call only the public index.ts of the other folders.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.ts';

await yargs(hideBin(process.argv))
  .scriptName('ghostbridge')
  .usage('$0 <command> [options]')
  .command(commands)
  .demandCommand(1, 'name a command; see --help')
  .strict()
  .help()
  // An operator wants the reason, not a stack trace: usage mistakes get the usage and the
  // message, failures just the message (GHOSTBRIDGE_DEBUG=1 shows the stack).
  .fail((message, error, cli) => {
    if (error) {
      process.stderr.write(`ghostbridge: ${process.env.GHOSTBRIDGE_DEBUG ? error.stack : error.message}\n`);
    } else {
      cli.showHelp();
      process.stderr.write(`\n${message}\n`);
    }
    process.exit(1);
  })
  .parseAsync();
