// The pipeline in a worker thread: event building, pseudonymization, JSON and vectors run on
// another core, and the calling thread (the controller's) only sends facts and receives
// text and vectors. Calls are answered in the order they were made, as by the pipeline
// itself, so events come back in fact order and the caller's awaits keep their meaning
// (the controller waits for its facts' events before it forwards, which is its
// backpressure). Same events, same vectors: the worker runs createPipeline.
import { Worker } from 'node:worker_threads';
import type { FlowFact } from './facts.ts';
import { FactWriter, type FactBatch } from './fact-codec.ts';
import { sharedTextRing, TextRingReader, type RingText, type SharedTextRing } from './text-ring.ts';
import type { EncodedEvents, Pipeline, PipelineOptions, PipelineOutput } from './pipeline.ts';
import type { PrivacyMode } from './privacy.ts';

/**
 * What the main thread asks. encode's facts travel as a FactBatch (records in one buffer);
 * process's as objects, with the flow.start frames in `frames`, one buffer per call. Calls
 * carry no id: the worker answers them one at a time in order, so a reply belongs to the
 * oldest call not yet answered.
 */
export type Call =
  | { op: 'encode'; batch: FactBatch }
  | { op: 'process'; facts: FlowFact[]; frames: { bytes: Uint8Array; ends: Int32Array } }
  | { op: 'rotate'; key?: Uint8Array }
  | { op: 'close' };

/**
 * What the worker says: log, ready and failed on their own, and the answer to each call, in
 * call order. An encode's events: their texts one after another in the shared text ring
 * (`text` says where; or in the message, when the ring had no room), and `numbers` (moved):
 * for each event i, in Int32 slots, where its text ends (ends[i], counted in UTF-16 units; it
 * starts where the previous one ended, and its first member is its @timestamp), then in slot
 * events + i its vector's row or -1, then the vectors, dimension floats a row.
 */
export type WorkerMessage =
  | { log: string }
  | { ready: { modelId: string | null; dimension: number | null; privacyMode: PrivacyMode; keyId: string | null } }
  | { failed: string }
  | { answer: Answer; text: RingText | string; events: number; numbers: ArrayBuffer };

/** One call's answer; encoded: how many events the message carries. */
export type Answer =
  | { error: string }
  | { encoded: number }
  | { outputs: PipelineOutput[] }
  | { keyId: string }
  | { closed: true };

/** What the worker is started with. */
export interface WorkerStart {
  options: PipelineOptions;
  ring: SharedTextRing;
}

/** Where every event's JSON has its @timestamp's text: after `{"@timestamp":"`. */
const TIMESTAMP_AT = '{"@timestamp":"'.length;

export interface ThreadedPipelineOptions extends Omit<PipelineOptions, 'log'> {
  log?: (message: string) => void;
  /** The worker died (it is not restarted): every call from then on fails. */
  onFailure?: (err: Error) => void;
  /** Size of the ring the event text comes back through (a power of two; default 8 MiB). */
  textRingBytes?: number;
}

export async function createThreadedPipeline(options: ThreadedPipelineOptions = {}): Promise<Pipeline> {
  const { log = (m: string) => process.stderr.write(`ghostbridge pipeline: ${m}\n`), onFailure, textRingBytes = 8 << 20, ...rest } = options;
  const ring = sharedTextRing(textRingBytes);
  const texts = new TextRingReader(ring);
  const worker = new Worker(new URL('./pipeline-worker.ts', import.meta.url), { workerData: { options: rest, ring } satisfies WorkerStart });
  // Answers come in call order: the oldest pending call is the one answered.
  const pending: { resolve: (answer: unknown) => void; reject: (err: Error) => void }[] = [];
  let failure: Error | null = null;
  let closing = false;
  type Ready = Extract<WorkerMessage, { ready: unknown }>['ready'];
  let ready!: (info: Ready) => void;
  let notReady!: (err: Error) => void;
  const started = new Promise<Ready>((resolve, reject) => ((ready = resolve), (notReady = reject)));
  let dimension = 0;

  const fail = (err: Error) => {
    if (failure) return;
    failure = err;
    notReady(err);
    for (const p of pending.splice(0)) p.reject(err);
    if (!closing) onFailure?.(err);
  };
  worker.on('message', (message: WorkerMessage) => {
    if ('log' in message) return log(message.log);
    if ('ready' in message) return ready(message.ready);
    if ('failed' in message) return fail(new Error(message.failed));
    const { answer, events, numbers } = message;
    const text = typeof message.text === 'string' ? message.text : texts.read(message.text);
    const ends = new Int32Array(numbers, 0, events);
    if (text.length !== (events === 0 ? 0 : ends[events - 1])) return fail(new Error('the pipeline thread sent text of the wrong length'));
    const p = pending.shift()!;
    if ('error' in answer) return p.reject(new Error(answer.error));
    if (!('encoded' in answer)) return p.resolve(answer);
    const rows = new Int32Array(numbers, 4 * events, events);
    const packed = new Float32Array(numbers, 8 * events);
    const jsons = new Array<string>(events);
    const timestamps = new Array<string>(events);
    const vectors = new Array<Float32Array | null>(events);
    for (let i = 0, at = 0; i < events; at = ends[i++]!) {
      jsons[i] = text.slice(at, ends[i]);
      timestamps[i] = text.slice(at + TIMESTAMP_AT, text.indexOf('"', at + TIMESTAMP_AT));
      const row = rows[i]!;
      vectors[i] = row < 0 ? null : packed.subarray(row * dimension, (row + 1) * dimension);
    }
    p.resolve({ jsons, timestamps, vectors } satisfies EncodedEvents);
  });
  worker.on('error', (err) => fail(new Error(`the pipeline thread failed: ${err.message}`)));
  worker.on('exit', (code) => fail(new Error(`the pipeline thread exited (code ${code})`)));

  /** Posts a call (throws, nothing sent, for what cannot be cloned); resolves with its answer. */
  const call = <T>(c: Call, transfer: ArrayBuffer[] = []): Promise<T> => {
    if (failure) return Promise.reject(failure);
    worker.postMessage(c, transfer);
    return new Promise((resolve, reject) => pending.push({ resolve: resolve as (answer: unknown) => void, reject }));
  };
  const writer = new FactWriter();

  const info = await started.catch(async (err: Error) => {
    await worker.terminate();
    throw err;
  });
  let keyId = info.keyId;
  dimension = info.dimension ?? 0;
  return {
    modelId: info.modelId,
    dimension: info.dimension,
    privacyMode: info.privacyMode,
    get keyId() {
      return keyId;
    },
    encode(facts) {
      let batch: FactBatch;
      try {
        batch = writer.write(facts);
        return call<EncodedEvents>({ op: 'encode', batch });
      } catch (err) {
        writer.lost(); // the worker did not get the batch's new strings
        return Promise.reject(err);
      }
    },
    async process(facts) {
      const { sent, frames } = withoutFrames(facts);
      return (await call<{ outputs: PipelineOutput[] }>({ op: 'process', facts: sent, frames }, [frames.bytes.buffer as ArrayBuffer])).outputs;
    },
    async rotateKey(key) {
      keyId = (await call<{ keyId: string }>({ op: 'rotate', key })).keyId;
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
