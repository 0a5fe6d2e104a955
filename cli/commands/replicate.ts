// `ghostbridge replicate --data DIR (--to-dir DIR | --to ssh://[user@]host[:port]/abs/dir)
// [--once | --follow]`: streams block snapshots to a replica, incrementally.
import pino from 'pino';
import type { CommandModule } from 'yargs';
import { followReplication, localTarget, parseSshTarget, replicateOnce } from '../../storage/index.ts';

interface Args {
  data: string;
  'to-dir'?: string;
  to?: string;
  identity?: string;
  'known-hosts'?: string;
  once?: boolean;
  follow?: boolean;
  retries: number;
  'retry-delay': number;
  level: number;
  interval: number;
  'log-level': string;
}

export const replicateCommand: CommandModule<object, Args> = {
  command: 'replicate',
  describe: 'send block snapshots to a replica (btrfs send -p | zstd | [ssh] btrfs receive); the replica verifies on its own',
  builder: (y) =>
    y
      .option('data', { type: 'string', demandOption: true, describe: 'the source data directory (btrfs backend)' })
      .option('to-dir', { type: 'string', describe: 'a local replica directory on btrfs' })
      .option('to', { type: 'string', describe: 'a remote replica: ssh://[user@]host[:port]/absolute/dir' })
      .option('identity', { type: 'string', describe: 'ssh private key file (with --to)' })
      .option('known-hosts', { type: 'string', describe: 'ssh known_hosts file; the host key must be in it (with --to)' })
      .option('once', { type: 'boolean', describe: 'send what the replica lacks, then exit (the default)' })
      .option('follow', { type: 'boolean', describe: 'keep running and send each new block as it appears' })
      .option('retries', { type: 'number', default: 5, describe: 'retries per block after a failure' })
      .option('retry-delay', { type: 'number', default: 1, describe: 'first backoff in seconds (doubled per retry, at most 30)' })
      .option('level', { type: 'number', default: 3, describe: 'zstd compression level (1..19)' })
      .option('interval', { type: 'number', default: 1, describe: '--follow: seconds between looks for new blocks' })
      .option('log-level', { type: 'string', default: 'info', describe: 'pino log level' })
      .conflicts('to-dir', 'to')
      .conflicts('once', 'follow')
      .check((a) => {
        if (!a['to-dir'] === !a.to) throw new Error('name the replica with --to-dir DIR or --to ssh://host/dir');
        if ((a.identity || a['known-hosts']) && !a.to) throw new Error('--identity and --known-hosts go with --to');
        if (!Number.isInteger(a.level) || a.level < 1 || a.level > 19) throw new Error('--level must be 1..19');
        if (!Number.isInteger(a.retries) || a.retries < 0) throw new Error('--retries must be a whole number ≥ 0');
        if (!(a['retry-delay'] >= 0) || !(a.interval > 0)) throw new Error('--retry-delay must be ≥ 0 and --interval > 0');
        return true;
      }),
  handler: async (args) => {
    // Parsing refuses a bad host or directory before any process is started.
    const target = args.to ? parseSshTarget(args.to, { identity: args.identity, knownHosts: args['known-hosts'] }) : localTarget(args['to-dir']!);
    const logger = pino({ level: args['log-level'] });
    const opts = { data: args.data, target, logger, retries: args.retries, retryDelayMs: args['retry-delay'] * 1000, level: args.level };
    if (!args.follow) {
      await replicateOnce(opts);
      return;
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    await followReplication({ ...opts, intervalMs: args.interval * 1000, signal: stop.signal });
    logger.info('stopped');
  },
};
