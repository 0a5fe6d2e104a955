// A worker thread for verify: walks ranges, taking each from the counter it shares with the
// other threads, and posts each result back, then that it is done.
import { parentPort, workerData } from 'node:worker_threads';
import { loadPublicKey } from './signing.ts';
import { walkTaken, type VerifyMessage, type VerifyTask } from './log-walk.ts';

const { path, publicKey, ranges, next } = workerData as VerifyTask;
const post = (m: VerifyMessage) => parentPort!.postMessage(m);
for (const [id, result] of walkTaken(path, ranges, next, loadPublicKey(publicKey))) post({ id, result });
post({ done: true });
