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
  .parseAsync();
