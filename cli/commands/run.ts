// `ghostbridge run`: the controller, wired to the pipeline and the event log. Each batch of
// flow facts becomes events (pipeline.process), is appended to <data>/events.jsonl, and only
// then are the packets it describes forwarded (the session awaits the consumer).
import type { CommandModule } from 'yargs';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { Controller, DEFAULT_POLICY, DEFAULT_SESSION, parseListen, type Role } from '../../controller/index.ts';
import { controllerSwitches, defaultTokenFile, loadOrCreateToken, openIndexing, parseApiAddress, startApi, type Api, type Indexing } from '../../controller/index.ts';
import { createPipeline, createThreadedPipeline, defaultKeyFile, modelDirOf, PRIVACY_MODES, type FactConsumer, type Pipeline, type PrivacyMode } from '../../pipeline/index.ts';
import { initData, isInside, LogFailedError, openEventLog, type Durability, type EventLog, type IndexBackend } from '../../storage/index.ts';

interface Args {
  data: string;
  index?: string;
  listen: string[];
  api: string;
  'api-token'?: string;
  'index-backend': IndexBackend;
  'qdrant-url'?: string;
  'tls-key'?: string;
  'tls-cert'?: string;
  'tls-ca'?: string;
  'idle-timeout': number;
  'hard-timeout': number;
  'stats-interval': number;
  'echo-interval': number;
  role: Role;
  'generation-id': string;
  durability: Durability;
  'block-every': number;
  'block-events': number;
  'keep-snapshots': number;
  'compact-log': boolean;
  privacy: PrivacyMode;
  'key-file'?: string;
  vectorize: boolean;
  'pipeline-thread': boolean;
  'log-level': string;
}

export const runCommand: CommandModule<object, Args> = {
  command: 'run',
  describe: 'run the OpenFlow 1.3 controller: forward traffic, log every flow as an event',
  builder: (y) =>
    y
      .option('data', { type: 'string', default: './data', describe: 'data directory (event log, blocks); initialised if new' })
      .option('index', { type: 'string', describe: 'embedded vector index directory, outside <data> (default <data>.index)' })
      .option('index-backend', { choices: ['embedded', 'qdrant'] as const, default: 'embedded' as IndexBackend, describe: 'where flow vectors are indexed' })
      .option('qdrant-url', { type: 'string', describe: 'Qdrant REST URL for --index-backend qdrant' })
      .option('listen', { type: 'string', array: true, default: ['tcp:127.0.0.1:6653'], describe: 'tcp:HOST:PORT or ssl:HOST:PORT (IPv6 as [ADDR]); repeatable' })
      .option('api', { type: 'string', default: '127.0.0.1:8080', describe: 'REST API address HOST:PORT, or off' })
      .option('api-token', { type: 'string', describe: 'bearer token file for POST /blocks (default <data>.api-token; created, mode 0600)' })
      .option('tls-key', { type: 'string', describe: 'controller private key (PEM) for ssl: listeners' })
      .option('tls-cert', { type: 'string', describe: 'controller certificate (PEM)' })
      .option('tls-ca', { type: 'string', describe: 'CA certificate (PEM) switch certificates must be signed by' })
      .option('idle-timeout', { type: 'number', default: DEFAULT_POLICY.idleTimeout, describe: 'flow entry idle timeout, seconds (0: none)' })
      .option('hard-timeout', { type: 'number', default: DEFAULT_POLICY.hardTimeout, describe: 'flow entry hard timeout, seconds (0: none)' })
      .option('stats-interval', { type: 'number', default: DEFAULT_SESSION.statsIntervalMs / 1000, describe: 'flow-stats polling interval, seconds (0: off)' })
      .option('echo-interval', { type: 'number', default: DEFAULT_SESSION.echoIntervalMs / 1000, describe: 'echo keepalive interval, seconds' })
      .option('role', { choices: ['equal', 'master', 'slave'] as const, default: 'equal' as Role, describe: 'OpenFlow controller role' })
      .option('generation-id', { type: 'string', default: '0', describe: 'generation id sent with master/slave role requests' })
      .option('durability', { choices: ['batch', 'fsync'] as const, default: 'batch' as Durability, describe: 'batch: forward after write(2); fsync: after fsync' })
      .option('block-every', { type: 'number', default: 60, describe: 'cut a signed block every this many seconds (0: no timer)' })
      .option('block-events', { type: 'number', default: 100_000, describe: 'cut a block once this many events are in the open one (0: no limit)' })
      .option('keep-snapshots', { type: 'number', default: 24, describe: 'btrfs: block snapshots kept (older ones deleted; headers stay), at least 1' })
      .option('compact-log', { type: 'boolean', default: true, describe: 'btrfs: merge the live log\'s newest small extents now and then, so block cuts stay fast as they accumulate (the merged bytes are rewritten, so incremental replication sends them again)' })
      .option('privacy', { choices: PRIVACY_MODES, default: 'pseudonymize' as PrivacyMode, describe: 'how addresses enter the log' })
      .option('key-file', { type: 'string', describe: 'pseudonymization key file (default <data>.pseudonym.key)' })
      .option('vectorize', { type: 'boolean', default: true, describe: 'compute flow vectors' })
      .option('pipeline-thread', { type: 'boolean', default: true, describe: 'build and vectorize events in a worker thread (a second core); --no-pipeline-thread: in the controller\'s thread' })
      .option('log-level', { type: 'string', default: 'info', describe: 'pino log level' })
      .check((a) => {
        for (const l of a.listen) parseListen(l);
        if (a.api !== 'off') parseApiAddress(a.api);
        if (a.index !== undefined && isInside(a.index, a.data)) throw new Error(`--index ${a.index} is inside --data ${a.data}; put the index beside it`);
        if (a['index-backend'] === 'qdrant' && !a['qdrant-url']) throw new Error('--index-backend qdrant needs --qdrant-url');
        for (const k of ['idle-timeout', 'hard-timeout'] as const) {
          if (!Number.isInteger(a[k]) || a[k] < 0 || a[k] > 65535) throw new Error(`--${k} must be a whole number of seconds, 0..65535`);
        }
        if (!(a['block-every'] >= 0)) throw new Error('--block-every must be a number of seconds ≥ 0');
        for (const k of ['block-events', 'keep-snapshots'] as const) {
          if (!Number.isSafeInteger(a[k]) || a[k] < (k === 'keep-snapshots' ? 1 : 0)) throw new Error(`--${k} must be a whole number${k === 'keep-snapshots' ? ' ≥ 1' : ' ≥ 0'}`);
        }
        if (!(a['stats-interval'] >= 0) || !(a['echo-interval'] > 0)) throw new Error('--stats-interval must be ≥ 0 and --echo-interval > 0');
        if (!/^\d{1,20}$/.test(a['generation-id']) || BigInt(a['generation-id']) >= 1n << 64n) throw new Error('--generation-id must be an unsigned 64-bit integer');
        return true;
      }),
  handler: async (args) => {
    const log = pino({ level: args['log-level'] });
    const listen = args.listen.map(parseListen);
    const tls = listen.some((l) => l.protocol === 'ssl') ? readTls(args) : undefined;
    await initData({ dir: args.data });
    // A failed log refuses every append: forwarding on would leave traffic unrecorded, so run
    // stops (exit 1) and the operator restarts it, which recovers the log from disk. The same
    // goes for a pipeline thread that died.
    let failure: Error | undefined;
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const fail = (err: Error, what = 'event log') => {
      if (failure) return;
      failure = err;
      log.fatal({ err: err.message }, `${what} failed; stopping`);
      stop();
    };
    const pipelineOptions = {
      privacy: args.privacy,
      keyFile: args.privacy === 'pseudonymize' ? (args['key-file'] ?? defaultKeyFile(args.data)) : undefined,
      modelDir: modelDirOf(args.data),
      vectorize: args.vectorize,
      log: (m: string) => log.info(m),
    };
    const pipeline = args['pipeline-thread'] ? await createThreadedPipeline({ ...pipelineOptions, onFailure: (err) => fail(err, 'pipeline thread') }) : await createPipeline(pipelineOptions);
    const events = await openEventLog({
      dir: args.data,
      durability: args.durability,
      model: pipeline.modelId, // block headers name the model the vectors come from
      blocks: { everyMs: args['block-every'] * 1000, everyEvents: args['block-events'], keepSnapshots: args['keep-snapshots'], compactLog: args['compact-log'] },
      onError: (err) => fail(err), // a timer-driven cut or fsync failed (the log is then failed too)
      // Retention and compaction failing leave the log whole: reported, and run goes on.
      onWarning: (err) => log.warn({ err: err.message }, 'event log background work failed; logging and forwarding go on'),
    });
    // The vector index follows the log off the forwarding path. A Qdrant server that is down
    // is connected to later; an index that cannot open at all (another process holds the
    // embedded one) leaves run going without it, and `ghostbridge index rebuild` fills it.
    const indexing = pipeline.modelId
      ? await openIndexing(
          { backend: args['index-backend'], indexDir: args.index ?? `${args.data.replace(/\/+$/, '')}.index`, dataDir: args.data, qdrantUrl: args['qdrant-url'], modelDir: modelDirOf(args.data), model: pipeline.modelId, connectLater: true },
          events,
          (err) => log.warn({ err: err.message }, 'vector index failed; the log goes on and the index catches up'),
          (m) => log.info(m),
        ).catch((err: Error) => void log.error({ err: err.message }, 'vector index not opened; running without similarity search'))
      : undefined;
    indexing?.feed.start();
    const controller = new Controller({
      listen,
      tls,
      log,
      consumer: recordFacts(pipeline, events, indexing, fail),
      session: {
        policy: { ...DEFAULT_POLICY, idleTimeout: args['idle-timeout'], hardTimeout: args['hard-timeout'] },
        statsIntervalMs: args['stats-interval'] * 1000,
        echoIntervalMs: args['echo-interval'] * 1000,
        role: args.role,
        generationId: BigInt(args['generation-id']),
      },
    });
    await controller.start();
    // Forwarding does not depend on the API: if it cannot start (port taken), run goes on.
    let api: Api | undefined;
    if (args.api !== 'off') {
      try {
        const token = loadOrCreateToken(args['api-token'] ?? defaultTokenFile(args.data), args.data, (m) => log.info(m));
        api = await startApi({ ...parseApiAddress(args.api), dataDir: args.data, log: events, index: indexing?.feed, switches: controllerSwitches(controller), token });
        log.info({ api: api.address }, 'REST API listening');
      } catch (err) {
        log.error({ err: (err as Error).message }, 'REST API not started; forwarding and logging go on');
      }
    }
    // SIGHUP re-reads the key file (rotation): events from then on carry the new key_id. A key
    // file that cannot be read is reported and the key in use stays.
    const rotate = () => {
      if (args.privacy !== 'pseudonymize') return void log.warn({ privacy: args.privacy }, 'SIGHUP: no pseudonymization key to rotate');
      pipeline.rotateKey().catch((err: Error) => log.error({ err: err.message, key_id: pipeline.keyId }, 'SIGHUP: key not rotated; the key in use stays'));
    };
    process.on('SIGHUP', rotate);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    log.info({ data: args.data, listen: args.listen, key_id: pipeline.keyId }, 'ghostbridge running');
    await stopped;
    process.off('SIGHUP', rotate);
    log.info('stopping');
    await api?.close();
    await controller.stop();
    await pipeline.close();
    await indexing?.close();
    await events.close();
    if (failure) process.exitCode = 1;
  },
};

/**
 * The controller's fact consumer: facts become events, appended to the log before the
 * session forwards anything; their vectors go to the index off that path. A failed log
 * stops run (`fail`).
 */
function recordFacts(pipeline: Pipeline, events: EventLog, indexing: Indexing | undefined, fail: (err: Error) => void): FactConsumer {
  return {
    async consume(facts) {
      // Events as JSON text straight from the pipeline: the log does not serialize them again.
      const { jsons, timestamps, vectors } = await pipeline.encode(facts);
      if (jsons.length === 0) return;
      const { firstSeq } = await events.appendJson(jsons, timestamps).catch((err: Error) => {
        if (err instanceof LogFailedError) fail(err);
        throw err;
      });
      indexing?.feed.offer(firstSeq, vectors); // returns at once
    },
  };
}

function readTls(args: Args) {
  const files = { key: args['tls-key'], cert: args['tls-cert'], ca: args['tls-ca'] };
  for (const [k, v] of Object.entries(files)) if (!v) throw new Error(`an ssl: listener needs --tls-${k}`);
  return { key: readFileSync(files.key!), cert: readFileSync(files.cert!), ca: readFileSync(files.ca!) };
}
