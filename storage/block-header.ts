// Block headers: what a block names, how it is signed and hashed, and where it is stored
// (<data>/metadata/blocks/NNNNNNNN.json, written atomically).
import { hash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { signBytes, verifyBytes } from './signing.ts';

export interface BlockHeader {
  version: 1;
  index: number;
  /** `hash` of the previous block; 64 zeros for block 0. */
  prevBlockHash: string;
  firstSeq: number;
  lastSeq: number;
  /** The block's lines are the log bytes [byteOffset, byteOffset + byteLength). */
  byteOffset: number;
  byteLength: number;
  /** `hash` of the line lastSeq: the chain tip when the block was cut. */
  tip: string;
  /** RFC 6962 root over the hashes of lines firstSeq..lastSeq. */
  merkleRoot: string;
  /** The vectorizer model in use, or null before there is one. */
  model: string | null;
  /** ISO 8601 creation time. */
  time: string;
  /** SHA-256 (hex) of the signed payload: the block's identity. */
  hash: string;
  /** Ed25519 signature (base64) of the signed payload. */
  signature: string;
}

export type UnsignedHeader = Omit<BlockHeader, 'version' | 'hash' | 'signature'>;

/**
 * The signed payload: the header's fields other than hash and signature, as JSON in this
 * fixed order. A verifier rebuilds it from a parsed header, so whitespace or key order in
 * the stored file does not matter, only the values.
 */
function headerPayload(h: Omit<BlockHeader, 'hash' | 'signature'>): Buffer {
  return Buffer.from(
    JSON.stringify({
      version: h.version,
      index: h.index,
      prevBlockHash: h.prevBlockHash,
      firstSeq: h.firstSeq,
      lastSeq: h.lastSeq,
      byteOffset: h.byteOffset,
      byteLength: h.byteLength,
      tip: h.tip,
      merkleRoot: h.merkleRoot,
      model: h.model,
      time: h.time,
    }),
  );
}

export function signHeader(fields: UnsignedHeader, key: KeyObject): BlockHeader {
  const unsigned = { version: 1 as const, ...fields };
  const payload = headerPayload(unsigned);
  return { ...unsigned, hash: hash('sha256', payload, 'hex'), signature: signBytes(key, payload) };
}

/** Null when hash and signature hold, else what is wrong. */
export function headerSealProblem(h: BlockHeader, publicKey: KeyObject): string | null {
  const payload = headerPayload(h);
  if (hash('sha256', payload, 'hex') !== h.hash) return 'its hash does not match its contents';
  if (!verifyBytes(publicKey, payload, h.signature)) return 'its signature does not verify';
  return null;
}

export function snapshotName(h: Pick<BlockHeader, 'index' | 'hash'>): string {
  return `block-${h.index}-${h.hash.slice(0, 8)}`;
}

const HEADER_FILE = /^(\d{8})\.json$/;

export function headerFile(blocksDir: string, index: number): string {
  return join(blocksDir, `${String(index).padStart(8, '0')}.json`);
}

/** Header files present, by index, ascending. */
export function listHeaderFiles(blocksDir: string): { index: number; path: string }[] {
  return readdirSync(blocksDir)
    .map((name) => HEADER_FILE.exec(name))
    .filter((m) => m !== null)
    .map((m) => ({ index: Number(m[1]), path: join(blocksDir, m[0]) }))
    .sort((a, b) => a.index - b.index);
}

export function readHeader(path: string): BlockHeader {
  return JSON.parse(readFileSync(path, 'utf8')) as BlockHeader;
}

/** Removes a header write that a crash interrupted. */
export function removeUnfinishedHeaders(blocksDir: string): string[] {
  const tmp = readdirSync(blocksDir).filter((n) => n.endsWith('.tmp'));
  for (const n of tmp) unlinkSync(join(blocksDir, n));
  return tmp;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a header so that it is either wholly there or not at all (temporary file, then
 * rename). With `fsync`, it is also durable when this returns; without, the caller makes it
 * durable another way (a btrfs snapshot commits it).
 */
export function writeHeader(blocksDir: string, h: BlockHeader, opts: { fsync: boolean }): void {
  const path = headerFile(blocksDir, h.index);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, JSON.stringify(h, null, 2) + '\n');
    if (opts.fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (opts.fsync) fsyncDir(blocksDir);
}
