// Every subcommand module, in the order --help lists them. Add a new command by writing
// cli/commands/<name>.ts (exporting a yargs CommandModule) and listing it here.
import type { CommandModule } from 'yargs';
import { initCommand } from './init.ts';
import { runCommand } from './run.ts';
import { blockCommand } from './block.ts';
import { verifyCommand } from './verify.ts';
import { proofCommand } from './proof.ts';
import { pseudonymCommand } from './pseudonym.ts';
import { modelCommand } from './model.ts';
import { ofpPrint } from './ofp-print.ts';
import { ofpEncode } from './ofp-encode.ts';
import { indexCommand } from './vector-index.ts';
import { replicateCommand } from './replicate.ts';

export const commands: CommandModule<any, any>[] = [runCommand, initCommand, blockCommand, verifyCommand, proofCommand, pseudonymCommand, modelCommand, indexCommand, replicateCommand, ofpPrint, ofpEncode];
