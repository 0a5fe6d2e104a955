// The pipeline in a worker thread: event building, pseudonymization, JSON and vectors run on
// another core, and the calling thread (the controller's) only sends facts and receives
// text and vectors. Calls are answered in the order they were made, as by the pipeline
// itself, so events come back in fact order and the caller's awaits keep their meaning
// (the controller waits for its facts' events before it forwards, which is its
// backpressure). Same events, same vectors: the worker runs createPipeline.
import { Worker } from 'node:worker_threads';
import type { FlowFact } from './facts.ts';
import type { Pipeline, PipelineOptions, PipelineOutput } from './pipeline.ts';
import type { PrivacyMode } from './privacy.ts';

/**
 * What the main thread asks; flow.start frames travel in `frames`, one buffer per call. Calls
 * carry no id: the worker answers them one at a time in order, so a reply belongs to the
 * oldest call not yet answered.
 */
export type Call =
  | { op: 'encode' | 'process'; facts: FlowFact[]; frames: { bytes: Uint8Array; ends: Int32Array } }
  | { op: 'rotate'; key?: Uint8Array }
  | { op: 'close' };

export type Reply =
  | { log: string }
  | { ready: { modelId: string | null; dimension: number | null; privacyMode: PrivacyMode; keyId: string | null } }
  | { failed: string }
  | { error: string }
  /** Events i < n: text from ends[i - 1] (or 0) to ends[i]; then their timestamps, ends[n + i]. */
  | { encoded: { text: string; ends: Int32Array; packed: Float32Array; rows: Int32Array } }
  | { outputs: PipelineOutput[] }
  | { keyId: string }
  | { closed: true };

export interface ThreadedPipelineOptions extends Omit<PipelineOptions, 'log'> {
  log?: (message: string) => void;
  /** The worker died (it is not restarted): every call from then on fails. */
  onFailure?: (err: Error) => void;
}

export async function createThreadedPipeline(options: ThreadedPipelineOptions = {}): Promise<Pipeline> {
  const { log = (m: string) => process.stderr.write(`ghostbridge pipeline: ${m}\n`), onFailure, ...rest } = options;
  const worker = new Worker(new URL('./pipeline-worker.ts', import.meta.url), { workerData: rest });
  // Replies come in call order: the oldest pending call is the one answered.
  const pending: { resolve: (reply: Reply) => void; reject: (err: Error) => void }[] = [];
  let failure: Error | null = null;
  let closing = false;
  let ready!: (info: Extract<Reply, { ready: unknown }>['ready']) => void;
  let notReady!: (err: Error) => void;
  const started = new Promise<Extract<Reply, { ready: unknown }>['ready']>((resolve, reject) => ((ready = resolve), (notReady = reject)));

  const fail = (err: Error) => {
    if (failure) return;
    failure = err;
    notReady(err);
    for (const p of pending.splice(0)) p.reject(err);
    if (!closing) onFailure?.(err);
  };
  worker.on('message', (reply: Reply) => {
    if ('log' in reply) return log(reply.log);
    if ('ready' in reply) return ready(reply.ready);
    if ('failed' in reply) return fail(new Error(reply.failed));
    const p = pending.shift();
    if ('error' in reply) p?.reject(new Error(reply.error));
    else p?.resolve(reply);
  });
  worker.on('error', (err) => fail(new Error(`the pipeline thread failed: ${err.message}`)));
  worker.on('exit', (code) => fail(new Error(`the pipeline thread exited (code ${code})`)));

  const call = (c: Call, transfer: ArrayBuffer[] = []): Promise<Reply> => {
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      worker.postMessage(c, transfer); // throws (nothing sent) for what cannot be cloned
      pending.push({ resolve, reject });
    });
  };
  const sendFacts = (op: 'encode' | 'process', facts: FlowFact[]) => {
    const { sent, frames } = withoutFrames(facts);
    return call({ op, facts: sent, frames }, [frames.bytes.buffer as ArrayBuffer]);
  };

  const info = await started.catch(async (err: Error) => {
    await worker.terminate();
    throw err;
  });
  let keyId = info.keyId;
  return {
    modelId: info.modelId,
    dimension: info.dimension,
    privacyMode: info.privacyMode,
    get keyId() {
      return keyId;
    },
    async encode(facts) {
      const reply = (await sendFacts('encode', facts)) as Extract<Reply, { encoded: unknown }>;
      const { text, ends, packed, rows } = reply.encoded;
      const n = rows.length;
      const d = info.dimension ?? 0;
      const jsons = new Array<string>(n);
      const timestamps = new Array<string>(n);
      const vectors = new Array<Float32Array | null>(n);
      for (let i = 0, at = 0; i < 2 * n; at = ends[i++]!) {
        if (i < n) jsons[i] = text.slice(at, ends[i]);
        else timestamps[i - n] = text.slice(at, ends[i]);
      }
      for (let i = 0; i < n; i++) vectors[i] = rows[i]! < 0 ? null : packed.subarray(rows[i]! * d, (rows[i]! + 1) * d);
      return { jsons, timestamps, vectors };
    },
    async process(facts) {
      return ((await sendFacts('process', facts)) as Extract<Reply, { outputs: unknown }>).outputs;
    },
    async rotateKey(key) {
      keyId = ((await call({ op: 'rotate', key })) as Extract<Reply, { keyId: unknown }>).keyId;
      return keyId;
    },
    async close() {
      if (failure) return;
      closing = true;
      await call({ op: 'close' });
      await worker.terminate();
    },
  };
}

/**
 * The facts without their frames, and the frames copied into one buffer that is moved to
 * the worker. (A frame is often a view into a whole socket read; sent as it is, every fact
 * would copy that read.)
 */
function withoutFrames(facts: FlowFact[]): { sent: FlowFact[]; frames: { bytes: Uint8Array; ends: Int32Array } } {
  let total = 0;
  let starts = 0;
  for (const f of facts) {
    if (f.kind === 'flow.start') {
      total += f.frame.byteLength;
      starts++;
    }
  }
  const bytes = new Uint8Array(total);
  const ends = new Int32Array(starts);
  const empty = new Uint8Array(0);
  let at = 0;
  let n = 0;
  const sent = facts.map((f) => {
    if (f.kind !== 'flow.start') return f;
    bytes.set(f.frame, at);
    at += f.frame.byteLength;
    ends[n++] = at;
    return { ...f, frame: empty };
  });
  return { sent, frames: { bytes, ends } };
}
