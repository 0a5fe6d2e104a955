// Where things live under <data>, and the small config file `init` writes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type BackendKind = 'btrfs' | 'directory';

export interface DataConfig {
  format: 1;
  backend: BackendKind;
}

export function layout(dir: string) {
  const metadata = join(dir, 'metadata');
  return {
    dir,
    log: join(dir, 'events.jsonl'),
    /** The sparse offset index: derived from the log, rebuilt when missing or damaged. */
    offsetIndex: join(dir, 'events.idx'),
    lock: join(dir, '.lock'),
    metadata,
    blocks: join(metadata, 'blocks'),
    config: join(metadata, 'config.json'),
    snapshots: join(dir, '.snapshots'),
    /** Present in a replica made by `ghostbridge replicate` (which has no live log). */
    replica: join(metadata, 'replica.json'),
  };
}

export type Layout = ReturnType<typeof layout>;

/** Files under <data> that are derived or transient, so a snapshot may hold other bytes. */
export const NOT_EVIDENCE = new Set(['events.idx', '.lock']);

export function readConfig(dir: string): DataConfig {
  const path = layout(dir).config;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`${dir} is not a GhostBridge data directory (no ${path}); run \`ghostbridge init --data ${dir}\``);
  }
  const config = JSON.parse(text) as DataConfig;
  if (config.format !== 1 || (config.backend !== 'btrfs' && config.backend !== 'directory')) {
    throw new Error(`${path}: unknown format or backend`);
  }
  return config;
}
