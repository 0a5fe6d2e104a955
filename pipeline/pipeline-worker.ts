// The worker side of createThreadedPipeline: a pipeline in its own thread, answering the
// calls the main thread posts, one at a time in the order they came (so events come back
// in the order their facts were sent, and a flow's state sees its facts in that order).
// The answers to the calls that arrived together go back in one message (each message costs
// the sender tens of µs here), their event text through a shared ring (text-ring.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { createPipeline, type LocalPipeline, type PackedEvents } from './pipeline.ts';
import type { FlowFact } from './facts.ts';
import type { Answer, Call, WorkerMessage, WorkerStart } from './pipeline-thread.ts';
import { TextRingWriter } from './text-ring.ts';
import { FactReader } from './fact-codec.ts';

const port = parentPort!;
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const reader = new FactReader();

/** out: the events of the calls answered together, in order. */
async function answer(pipeline: LocalPipeline, call: Call, out: PackedEvents[]): Promise<Answer> {
  try {
    switch (call.op) {
      case 'encode': {
        const events = await pipeline.encodePacked(reader.read(call.batch));
        out.push(events);
        return { encoded: events.jsons.length };
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
function message(answers: Answer[], encoded: PackedEvents[], d: number, ring: TextRingWriter): Extract<WorkerMessage, { answers: unknown }> {
  let events = 0;
  let floats = 0;
  for (const e of encoded) {
    events += e.jsons.length;
    floats += e.vectors.length;
  }
  const numbers = new ArrayBuffer(4 * (2 * events + floats));
  const ends = new Int32Array(numbers, 0, events);
  const rows = new Int32Array(numbers, 4 * events, events);
  const packed = new Float32Array(numbers, 8 * events);
  const jsons = new Array<string>(events);
  let i = 0;
  let at = 0;
  let base = 0; // this call's first row in packed
  for (const e of encoded) {
    for (let j = 0; j < e.jsons.length; j++, i++) {
      jsons[i] = e.jsons[j]!;
      ends[i] = at += jsons[i]!.length;
      rows[i] = e.rows[j]! < 0 ? -1 : base + e.rows[j]!;
    }
    packed.set(e.vectors, base * d);
    base += d === 0 ? 0 : e.vectors.length / d;
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
    const encoded: PackedEvents[] = [];
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
