// A real data directory for index and API tests: generated site traffic through the real
// pipeline (pseudonymized events and their vectors), appended to a real event log.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { createPipeline, createVectorizer, modelDirOf, type EcsEvent, type FlowFact, type PipelineOutput } from '../../pipeline/index.ts';
import { generateTraffic } from '../../pipeline/traffic-generator.ts';
import { initData, openEventLog, type EventLog, type LogRecord, type RecordVectorizer } from '../../storage/index.ts';

export const KEY = new Uint8Array(32).fill(7);

export async function scratch(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gb-index-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Ordinary traffic with some port-scan flows mixed in (seeded, so every run is the same). */
export function siteTraffic(flows = 300, scans = 30): { facts: FlowFact[]; firstScan: number } {
  const normal = generateTraffic({ seed: 11, flows });
  const scan = generateTraffic({ seed: 12, flows: scans, scan: true, start: Date.UTC(2026, 0, 5, 9) });
  return { facts: [...normal, ...scan], firstScan: normal.length };
}

export interface LoggedSite {
  dir: string;
  data: string;
  index: string;
  log: EventLog;
  /** The pipeline's output for each fact; fact i becomes seq i once appended. */
  outputs: PipelineOutput[];
  model: string;
  /** Re-vectorizes events read back from the log with the same model. */
  vectorize: RecordVectorizer;
  /** How many events the log vectorizer was asked for (0 while the live path does the work). */
  revectorized: () => number;
  /** Appends outputs[from, to) to the log; resolves with the first seq. */
  append(from: number, to: number): Promise<number>;
}

/** An initialised data directory, its open log, and the pipeline's output for `facts` (appended when asked). */
export async function loggedSite(t: ExecutionContext, facts = siteTraffic().facts): Promise<LoggedSite> {
  const dir = await scratch(t);
  const data = join(dir, 'data');
  await initData({ dir: data });
  // As `ghostbridge run` does: the model is stored in <data>/metadata/model/.
  const pipeline = await createPipeline({ key: KEY, modelDir: modelDirOf(data), log: () => {} });
  const vectorizer = await createVectorizer({ modelDir: modelDirOf(data), log: () => {} });
  const outputs = await pipeline.process(facts);
  await pipeline.close();
  const log = await openEventLog({ dir: data, model: pipeline.modelId });
  t.teardown(() => log.close());
  let revectorized = 0;
  return {
    dir,
    data,
    index: join(dir, 'index'),
    log,
    outputs,
    model: pipeline.modelId!,
    vectorize: async (records: LogRecord[]) => {
      revectorized += records.length;
      return (await vectorizer.vectorize(records as unknown as EcsEvent[])).map((v) => v.vector);
    },
    revectorized: () => revectorized,
    append: async (from, to) => (await log.append(outputs.slice(from, to).map((o) => o.event))).firstSeq,
  };
}
