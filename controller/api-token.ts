// The bearer token that guards the API's write endpoints: a random secret in a file outside
// <data> (mode 0600), created on first run. Compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isInside } from '../storage/index.ts';

/** Default place: beside <data>, like the signing key. */
export function defaultTokenFile(dataDir: string): string {
  return `${resolve(dataDir)}.api-token`;
}

/** Reads the token file, or creates it when missing. `note` hears where it is and whether it was created. */
export function loadOrCreateToken(path: string, dataDir: string, note: (m: string) => void): string {
  if (isInside(path, dataDir)) throw new Error(`the API token file ${path} is inside the data directory ${dataDir}; blocks would snapshot it`);
  let created = false;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // 'wx': never overwrite a token another process made meanwhile.
    writeFileSync(path, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new Error(`the API token file ${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < 32) throw new Error(`the API token in ${path} is shorter than 32 characters; delete the file to get a new one`);
  note(created ? `created the API token file ${path} (mode 0600): POST /blocks needs "Authorization: Bearer <its content>"` : `API token file: ${path}`);
  return token;
}

/** True when the Authorization header carries the token; the time taken does not depend on how much of it matches. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer ([^\s]+)$/i.exec(header ?? '');
  // Equal-length digests, so timingSafeEqual applies and the length of the guess leaks nothing.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m ? m[1]! : ''), digest(token)) && m !== null;
}
