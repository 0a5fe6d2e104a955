// The worker side of createThreadedPipeline: a pipeline in its own thread, answering the
// calls the main thread posts, one at a time in the order they came (so events come back
// in the order their facts were sent, and a flow's state sees its facts in that order).
// Event text goes back through a shared ring (text-ring.ts), the rest in the message.
import { parentPort, workerData } from 'node:worker_threads';
import { createPipeline, type LocalPipeline, type PackedEvents } from './pipeline.ts';
import type { FlowFact } from './facts.ts';
import type { Answer, Call, WorkerMessage, WorkerStart } from './pipeline-thread.ts';
import { TextRingWriter } from './text-ring.ts';
import { FactReader } from './fact-codec.ts';

const port = parentPort!;
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const reader = new FactReader();

/** A call's answer, and for encode its events. */
async function answer(pipeline: LocalPipeline, call: Call): Promise<{ answer: Answer; events?: PackedEvents }> {
  try {
    switch (call.op) {
      case 'encode': {
        const events = await pipeline.encodePacked(reader.read(call.batch));
        return { answer: { encoded: events.jsons.length }, events };
      }
      case 'process':
        return { answer: { outputs: await pipeline.process(withFrames(call.facts, call.frames)) } };
      case 'rotate':
        return { answer: { keyId: await pipeline.rotateKey(call.key) } };
      case 'close':
        await pipeline.close();
        return { answer: { closed: true } };
    }
  } catch (err) {
    return { answer: { error: (err as Error).message ?? String(err) } };
  }
}

/**
 * An answer and its events as one message: the texts in the ring (or joined into one string
 * if it has no room), the text ends, vector rows and vectors in one buffer that is moved (see
 * WorkerMessage). One buffer a message, not one per array: each costs to send.
 */
function message(answer: Answer, encoded: PackedEvents | undefined, ring: TextRingWriter): Extract<WorkerMessage, { answer: unknown }> {
  const jsons = encoded?.jsons ?? [];
  const events = jsons.length;
  const numbers = new ArrayBuffer(4 * (2 * events + (encoded?.vectors.length ?? 0)));
  const ends = new Int32Array(numbers, 0, events);
  let at = 0;
  for (let i = 0; i < events; i++) ends[i] = at += jsons[i]!.length;
  if (encoded) {
    new Int32Array(numbers, 4 * events, events).set(encoded.rows);
    new Float32Array(numbers, 8 * events).set(encoded.vectors);
  }
  return { answer, text: ring.write(jsons, at) ?? jsons.join(''), events, numbers };
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
  // Each answer is posted as soon as it is made, so the calling thread works on it while the
  // next is made. (Answering the calls that arrived together in one message saved wake-ups,
  // but left the calling thread idle while the worker made them all, and the worker idle
  // while the calling thread then used them: under `run`, fewer packet-ins answered.)
  let queue = Promise.resolve();
  port.on('message', (call: Call) => {
    queue = queue.then(async () => {
      const { answer: a, events } = await answer(pipeline, call);
      const m = message(a, events, texts);
      post(m, [m.numbers]);
    });
  });
} catch (err) {
  post({ failed: (err as Error).message ?? String(err) });
}
