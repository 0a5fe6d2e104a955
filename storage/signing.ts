// Ed25519 keys for block headers. The private key lives outside <data> (mode 0600); the
// public key is published in <data>/metadata so anyone holding a copy can verify.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

export const PUBLIC_KEY_FILE = 'signing-key.pub.pem';

/** Creates a key at `path` unless one is there; returns the private key. */
export function ensureSigningKey(path: string): KeyObject {
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  }
  return loadSigningKey(path);
}

export function loadSigningKey(path: string): KeyObject {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) throw new Error(`signing key ${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
  const key = createPrivateKey(readFileSync(path));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`signing key ${path} is not an Ed25519 key`);
  return key;
}

export function publicKeyPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

export function loadPublicKey(pem: string | Buffer): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the public key is not an Ed25519 key');
  return key;
}

export function signBytes(privateKey: KeyObject, data: Buffer): string {
  return sign(null, data, privateKey).toString('base64');
}

export function verifyBytes(publicKey: KeyObject, data: Buffer, signature: string): boolean {
  try {
    return verify(null, data, publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
