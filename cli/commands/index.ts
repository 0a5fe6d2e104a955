// Every subcommand module, in the order --help lists them. Add a new command by writing
// cli/commands/<name>.ts (exporting a yargs CommandModule) and listing it here.
import type { CommandModule } from 'yargs';

export const commands: CommandModule<any, any>[] = [];
