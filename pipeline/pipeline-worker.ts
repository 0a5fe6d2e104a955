// The worker side of createThreadedPipeline: a pipeline in its own thread, answering the
// calls the main thread posts, one at a time in the order they came (so events come back
// in the order their facts were sent, and a flow's state sees its facts in that order).
import { parentPort, workerData } from 'node:worker_threads';
import { createPipeline, type Pipeline, type PipelineOptions } from './pipeline.ts';
import type { FlowFact } from './facts.ts';
import type { Call, Reply } from './pipeline-thread.ts';

const port = parentPort!;
const post = (reply: Reply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

async function answer(pipeline: Pipeline, call: Call): Promise<void> {
  try {
    switch (call.op) {
      case 'encode': {
        const { jsons, timestamps, vectors } = await pipeline.encode(withFrames(call.facts, call.frames));
        // Texts joined into one string each (one string to copy instead of two per event);
        // the vectors as one buffer (moved, not copied) and, per event, its row or -1.
        const d = pipeline.dimension ?? 0;
        const n = jsons.length;
        const ends = new Int32Array(2 * n);
        const rows = new Int32Array(n).fill(-1);
        let count = 0;
        let at = 0;
        for (let i = 0; i < n; i++) {
          ends[i] = at += jsons[i]!.length;
          if (vectors[i]) rows[i] = count++;
        }
        for (let i = 0; i < n; i++) ends[n + i] = at += timestamps[i]!.length;
        const packed = new Float32Array(count * d);
        for (let i = 0; i < n; i++) if (rows[i]! >= 0) packed.set(vectors[i]!, rows[i]! * d);
        const text = jsons.join('') + timestamps.join('');
        return post({ encoded: { text, ends, packed, rows } }, [ends.buffer, packed.buffer, rows.buffer]);
      }
      case 'process':
        return post({ outputs: await pipeline.process(withFrames(call.facts, call.frames)) });
      case 'rotate':
        return post({ keyId: await pipeline.rotateKey(call.key) });
      case 'close':
        await pipeline.close();
        return post({ closed: true });
    }
  } catch (err) {
    post({ error: (err as Error).message ?? String(err) });
  }
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
  const options = workerData as PipelineOptions;
  const pipeline = await createPipeline({ ...options, log: (message) => post({ log: message }) });
  post({ ready: { modelId: pipeline.modelId, dimension: pipeline.dimension, privacyMode: pipeline.privacyMode, keyId: pipeline.keyId } });
  let queue = Promise.resolve();
  port.on('message', (call: Call) => {
    queue = queue.then(() => answer(pipeline, call));
  });
} catch (err) {
  post({ failed: (err as Error).message ?? String(err) });
}
