// The site's pseudonymization key: 32 bytes (Crypto-PAn's AES-128 key and pad seed; the MAC
// HMAC key is derived from it), in a file outside <data> with mode 0600. A file holds the
// bytes raw or as 64 hex digits. Missing at start-up: one is created, and said so.
import { randomBytes, createHash } from 'node:crypto';
import { readFile, writeFile, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CRYPTOPAN_KEY_BYTES } from './cryptopan.ts';

/** Decodes a key file's content: 32 raw bytes, or 64 hex digits (surrounding space allowed). */
export function decodeKey(content: Uint8Array, source: string): Uint8Array {
  if (content.length === CRYPTOPAN_KEY_BYTES) return Uint8Array.from(content);
  const text = Buffer.from(content).toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Uint8Array.from(Buffer.from(text, 'hex'));
  throw new Error(`${source}: a key file holds ${CRYPTOPAN_KEY_BYTES} raw bytes or 64 hex digits (found ${content.length} bytes of something else)`);
}

export async function readKeyFile(path: string): Promise<Uint8Array> {
  return decodeKey(await readFile(path), path);
}

/** Reads the key file, or creates it (mode 0600, hex) when it does not exist yet. */
export async function loadOrCreateKeyFile(path: string, log: (message: string) => void): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) log(`warning: key file ${path} is readable by others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`);
    return await readKeyFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(CRYPTOPAN_KEY_BYTES);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // 'wx' fails if another process created the file meanwhile: we never overwrite a key.
  await writeFile(path, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  log(`created a new pseudonymization key in ${path} (mode 0600); keep it outside the data directory and back it up`);
  return Uint8Array.from(key);
}

/** A public name for a key: the first 16 hex digits of SHA-256 over it. Reveals nothing of the key. */
export function keyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}
