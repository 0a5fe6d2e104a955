// The worker side of createThreadedPipeline: a pipeline in its own thread, answering the
// calls the main thread posts, one at a time in the order they came (so events come back
// in the order their facts were sent, and a flow's state sees its facts in that order).
// The answers to the calls that arrived together go back in one message (each message costs
// the sender tens of µs here), their event text through a shared ring (text-ring.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { createPipeline, type Pipeline } from './pipeline.ts';
import type { FlowFact } from './facts.ts';
import type { Answer, Call, WorkerMessage, WorkerStart } from './pipeline-thread.ts';
import { TextRingWriter } from './text-ring.ts';
import { FactReader } from './fact-codec.ts';

const port = parentPort!;
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const reader = new FactReader();

/** The events of the calls answered together: their texts and vectors, in order. */
interface Encoded {
  jsons: string[];
  vectors: (Float32Array | null)[];
}

async function answer(pipeline: Pipeline, call: Call, out: Encoded): Promise<Answer> {
  try {
    switch (call.op) {
      case 'encode': {
        const { jsons, vectors } = await pipeline.encode(reader.read(call.batch));
        for (let i = 0; i < jsons.length; i++) {
          out.jsons.push(jsons[i]!);
          out.vectors.push(vectors[i]!);
        }
        return { encoded: jsons.length };
      }
      case 'process':
        return { outputs: await pipeline.process(withFrames(call.facts, call.frames)) };
      case 'rotate':
        return { keyId: await pipeline.rotateKey(call.key) };
      case 'close':
        await pipeline.close();
        return { closed: true };
    }
  } catch (err) {
    return { error: (err as Error).message ?? String(err) };
  }
}

/**
 * The answers and the events of calls answered together, as one message: the texts in the
 * ring (or joined into one string if it is full), the text ends, vector rows and vectors in
 * one buffer that is moved (see WorkerMessage). One buffer a message: each typed array sent
 * costs as much as many events.
 */
function message(answers: Answer[], { jsons, vectors }: Encoded, d: number, ring: TextRingWriter): Extract<WorkerMessage, { answers: unknown }> {
  const events = jsons.length;
  let count = 0;
  for (const v of vectors) if (v) count++;
  const numbers = new ArrayBuffer(4 * (2 * events + count * d));
  const ends = new Int32Array(numbers, 0, events);
  const rows = new Int32Array(numbers, 4 * events, events);
  const packed = new Float32Array(numbers, 8 * events);
  let at = 0;
  let row = 0;
  for (let i = 0; i < events; i++) {
    ends[i] = at += jsons[i]!.length;
    const v = vectors[i];
    if (!v) rows[i] = -1;
    else {
      packed.set(v, row * d);
      rows[i] = row++;
    }
  }
  return { answers, text: ring.write(jsons, at) ?? jsons.join(''), events, numbers };
}

/** Facts as sent (flow.start frames stripped) with their frames put back, as views of one buffer. */
function withFrames(facts: FlowFact[], frames: { bytes: Uint8Array; ends: Int32Array }): FlowFact[] {
  let at = 0;
  let n = 0;
  for (const f of facts) {
    if (f.kind !== 'flow.start') continue;
    const end = frames.ends[n++]!;
    f.frame = frames.bytes.subarray(at, end);
    at = end;
  }
  return facts;
}

try {
  const { options, ring } = workerData as WorkerStart;
  const texts = new TextRingWriter(ring);
  const pipeline = await createPipeline({ ...options, log: (message) => post({ log: message }) });
  post({ ready: { modelId: pipeline.modelId, dimension: pipeline.dimension, privacyMode: pipeline.privacyMode, keyId: pipeline.keyId } });
  const queue: Call[] = [];
  let draining = false;
  // Runs after the event loop's poll phase, so every call that arrived with it is queued;
  // answers those (not later arrivals, so no answer waits behind an endless stream) in one message.
  const drain = async () => {
    const calls = queue.splice(0);
    const answers: Answer[] = [];
    const encoded: Encoded = { jsons: [], vectors: [] };
    for (const call of calls) answers.push(await answer(pipeline, call, encoded));
    const m = message(answers, encoded, pipeline.dimension ?? 0, texts);
    post(m, [m.numbers]);
    if (queue.length > 0) setImmediate(drain);
    else draining = false;
  };
  port.on('message', (call: Call) => {
    queue.push(call);
    if (!draining) {
      draining = true;
      setImmediate(drain);
    }
  });
} catch (err) {
  post({ failed: (err as Error).message ?? String(err) });
}
