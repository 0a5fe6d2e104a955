// `ghostbridge pseudonym [--key-file F | --data DIR] ADDRESS...`: each address's pseudonym
// under the site key, so an operator can find a known host in the log without ever
// de-pseudonymizing the log.
import type { CommandModule } from 'yargs';
import { Pseudonymizer, defaultKeyFile, readKeyFile } from '../../pipeline/index.ts';

interface Args {
  addresses: string[];
  'key-file'?: string;
  data?: string;
}

export const pseudonymCommand: CommandModule<object, Args> = {
  command: 'pseudonym <addresses..>',
  describe: 'print the pseudonym of each IPv4, IPv6 or MAC address under the site key',
  builder: (y) =>
    y
      .positional('addresses', { type: 'string', array: true, demandOption: true, describe: 'IPv4, IPv6 or MAC addresses' })
      .option('key-file', { type: 'string', describe: 'the site key: 32 bytes raw or 64 hex digits' })
      .option('data', { type: 'string', describe: 'the data directory, to use its default key file <data>.pseudonym.key' })
      .check((a) => {
        if (!a['key-file'] && !a.data) throw new Error('give --key-file FILE (or --data DIR for <data>.pseudonym.key)');
        return true;
      }),
  handler: async (args) => {
    const keyFile = args['key-file'] ?? defaultKeyFile(args.data!);
    // Never create a key here: a pseudonym under a fresh key matches nothing in the log.
    const pseudonymizer = new Pseudonymizer(await readKeyFile(keyFile));
    let failed = 0;
    for (const address of args.addresses.map(String)) {
      // Six colon-separated bytes are a MAC (never a valid IPv6 text); anything else is tried as an IP.
      const pseudonym = pseudonymizer.mac(address) ?? pseudonymizer.ip(address);
      if (pseudonym === null) {
        console.error(`${address}: not an IPv4, IPv6 or MAC address`);
        failed++;
      } else {
        console.log(`${address}\t${pseudonym}`);
      }
    }
    if (failed > 0) process.exitCode = 1;
  },
};
