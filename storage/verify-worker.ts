// A worker thread for verify: walks the ranges it is sent and posts the results back.
import { parentPort } from 'node:worker_threads';
import { loadPublicKey } from './signing.ts';
import { walkRange, type WalkRange } from './log-walk.ts';
import type { KeyObject } from 'node:crypto';

let key: KeyObject | null = null;
parentPort!.on('message', (m: { id: number; path: string; publicKey: string; range: WalkRange }) => {
  key ??= loadPublicKey(m.publicKey);
  parentPort!.postMessage({ id: m.id, result: walkRange(m.path, m.range, key) });
});
